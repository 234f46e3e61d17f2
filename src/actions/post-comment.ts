import { run } from './impl/post-comment.js';

await run();
