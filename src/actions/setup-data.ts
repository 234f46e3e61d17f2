import { run } from './impl/setup-data.js';

await run();
