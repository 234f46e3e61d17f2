import { type Command, Option } from 'commander';
import { readParamsFile } from '../params.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

export function registerModelCommands(program: Command): void {
  program
    .command('prepare')
    .description('Split the partitions of data.versions into stratified train/val/test sets of packed uint8 records')
    .option('--params <file>', 'parameters (groups data: and prepare:)', 'params.yaml')
    .option('--partitions <dir>', 'partitions folder (vK/manifest.csv + PNGs)', 'data/partitions')
    .option('--out <dir>', 'output folder for {train,val,test}.{bin,ids} and info.json', 'data/prepared')
    .option('--quiet', 'no progress bar')
    .action(async (opts: { params: string; partitions: string; out: string; quiet?: boolean }) => {
      const { prepareData, prepareParamsFrom } = await import('../data/prepare.js');
      const params = prepareParamsFrom(await readParamsFile(opts.params), opts.params);
      const info = await prepareData({ partitionsDir: opts.partitions, outDir: opts.out, ...params, quiet: opts.quiet });
      say(`${opts.out}: ${info.versions} → train ${info.counts.train}, val ${info.counts.val}, test ${info.counts.test} images (seed ${info.seed})`);
    });
  void Option;
}
