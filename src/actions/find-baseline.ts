import { run } from './impl/find-baseline.js';

await run();
