import { run } from './impl/plan.js';

await run();
