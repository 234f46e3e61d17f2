import { run } from './impl/report.js';

await run();
