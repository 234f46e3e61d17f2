import { encodeRecords } from '../cifar/png-writer.js';

/** Worker thread of a rebuild (src/util/worker-pool.ts): encodes one run of records as PNGs. */
export default function encode(records: Uint8Array): Uint8Array[] {
  return encodeRecords(records);
}
