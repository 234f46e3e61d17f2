import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSynthWorkspace } from '../fixtures/synth-workspace.js';
import { assertNoStack, CLI, plainEnv } from '../util/faults.js';

/**
 * SIGTERM (a `kill`, a cancelled job) and SIGINT sent to a real `cifar10 exp matrix` on synthetic
 * data while its cells train with the real stages: the matrix stops every stage process, none of
 * them survives it, no half result is kept, and the message names the command that resumes.
 */

const PARAMS = `data:
  versions: v1
train:
  seed: 42
  width: 0.125
  epochs: 1000
  batch_size: 32
evaluate:
  pictures: false
`;

interface Proc {
  pid: number;
  ppid: number;
  cmdline: string;
  cwd: string;
}

/** Every process this user can see, from /proc. */
async function processes(): Promise<Proc[]> {
  const found: Proc[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = (await readFile(`/proc/${name}/cmdline`, 'utf8')).split('\0').join(' ');
      const cwd = await readlink(`/proc/${name}/cwd`).catch(() => '');
      found.push({ pid: Number(name), ppid, cmdline, cwd });
    } catch {
      // Gone while being read.
    }
  }
  return found;
}

describe('signals to exp matrix', { skip: platform() !== 'linux' ? 'reads the process table from /proc, which only Linux has' : false }, () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} stops the matrix and its training processes alike, keeps no half result and names the resume command`, async () => {
      const root = await mkdtemp(join(tmpdir(), `signals-${signal}-`));
      try {
        await createSynthWorkspace(root, { imagesPerClass: 20, partitions: 1, partitionSize: 50, seed: 4 });
        await writeFile(join(root, 'params.yaml'), PARAMS);
        const args = ['exp', 'matrix', '--seeds', '1,2', '--versions', 'v1', '--jobs', '2', '--force', '-S', 'train.epochs=500'];
        // Its own process group, so the signal reaches the matrix alone, as `kill <pid>` does.
        const matrix = spawn(process.execPath, [CLI, ...args], { cwd: root, env: plainEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
        let stderr = '';
        matrix.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        const exited = new Promise<number | null>((resolve) => matrix.on('close', resolve));

        // Wait until both cells are training: two stage runners of `train` whose parent is the matrix.
        let trainers: Proc[] = [];
        for (let waited = 0; trainers.length < 2; waited += 200) {
          assert.ok(waited < 240_000, `the cells never started training:\n${stderr}`);
          await sleep(200);
          trainers = (await processes()).filter((p) => p.ppid === matrix.pid && /stages\/run\.js train \{/.test(p.cmdline));
        }
        const stages = (await processes()).filter((p) => p.ppid === matrix.pid);
        process.kill(matrix.pid!, signal);
        const code = await exited;

        assert.equal(code, 1, stderr);
        const survivors = (await processes()).filter((p) => stages.some((s) => s.pid === p.pid) || p.cwd.startsWith(root));
        assert.deepEqual(survivors, [], 'a process of the matrix outlived it');
        assert.match(stderr, signal === 'SIGTERM' ? /stopped by SIGTERM: stopping running stages/ : /interrupted: stopping running stages/);
        assert.match(stderr, /error: interrupted: 0 of 2 cell\(s\) are complete in \S+; run the same command again to resume the rest: /);
        // The exact command, less --force (which would throw finished cells away).
        const resume = /resume the rest: (.+)$/m.exec(stderr)![1]!;
        assert.equal(resume, `node ${CLI} exp matrix --seeds 1,2 --versions v1 --jobs 2 -S train.epochs=500`);
        assertNoStack(stderr, `exp matrix after ${signal}`);
        const results = await readdir(join(root, 'results', 'experiments')).catch(() => []);
        assert.deepEqual(results, [], 'no bundle, whole or half, is kept');
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    });
  }
});
