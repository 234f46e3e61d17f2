import { run } from './impl/run-experiment.js';

await run();
