import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

/**
 * Runs s3rver on 127.0.0.1 (a free port) serving `argv[2]` with one bucket `argv[3]`, and prints
 * `{"port": N}` once it listens. A process of its own because s3rver signs its list continuation
 * tokens with DES, which Node only offers under --openssl-legacy-provider.
 */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

const [directory, bucket] = process.argv.slice(2);
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
const { port } = await server.run();
// Stopped by SIGTERM's default action: nothing here needs a graceful close.
process.stdout.write(`${JSON.stringify({ port })}\n`);
