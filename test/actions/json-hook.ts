/**
 * A module loader hook for Node 20: `@actions/workflow-parser` imports its JSON schemas without
 * `with { type: 'json' }`, which Node 20 rejects. This serves those JSON files as ES modules
 * exporting the parsed value. Registered with `module.register` before the parser is imported.
 */
import { readFile } from 'node:fs/promises';

interface LoadResult {
  format: string;
  source?: string;
  shortCircuit?: boolean;
}

export async function load(url: string, context: unknown, nextLoad: (url: string, context: unknown) => Promise<LoadResult>): Promise<LoadResult> {
  if (url.startsWith('file:') && url.endsWith('.json') && url.includes('/@actions/workflow-parser/')) {
    const text = await readFile(new URL(url), 'utf8');
    return { format: 'module', source: `export default ${text};`, shortCircuit: true };
  }
  return nextLoad(url, context);
}
