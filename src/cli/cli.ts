// The `flowlab` command: dispatch, help, and the mapping from errors to exit codes
//   0 success, 1 runtime failure (GPU error, I/O), 2 bad input (usage, config FieldError, unknown lab,
//   a run over its memory budget: MemoryBudgetError, one too large for the GPU: GpuLimitError).

import { APP_VERSION } from '../io/app-version';
import { GpuLimitError } from '../gpu/limits';
import { FieldError } from '../labs/schema';
import { UnknownLabError } from '../labs/registry';
import { UsageError, parseArgs } from './args';
import { BackendUnavailableError } from './backend';
import { labsJson, labsText } from './labs-command';
import { runCommand, type CliIo } from './run-command';
import { selftestCommand } from './selftest-command';
import { convergenceCommand } from './convergence-command';
import { sweepCommand } from './sweep-command';
import { mergeCommand } from './merge-command';

export const HELP = `flowlab ${APP_VERSION}: WebGPU simulation lab, headless

usage:
  flowlab labs [lab] [--json]          list labs, parameters (ranges, defaults), presets;
                                       naming a lab also prints its default config
  flowlab run <lab> --config <file.json> [--set key=value ...] --out <file.npz|.json|.csv>
  flowlab run <lab> --preset <id> [--set key=value ...] --out <file>
  flowlab sweep <lab> --config <file.json> [--set key=value ...] --vary key=v1,v2,... [--vary ...]
        --out <sweep.npz> [--shard i/n]
                                       the Cartesian product of the --vary values (first --vary =
                                       outermost axis), each point a plain \`flowlab run\`
  flowlab merge <a.npz> <b.npz> ... --out <all.npz>
                                       join the shards of one sweep into the unsharded sweep
  flowlab convergence <lab> --config <file.json> [--set key=value ...] [--integrators a,b,...]
        [--steps 4,8,16 | --h 0.02,0.01] [--tols 1e-3,1e-4] --out <conv.npz|.json>
                                       error against a float64 fine reference per integrator and
                                       resolution, fitted orders (labs: score-mixing: --steps;
                                       primal-dual: --h)
  flowlab selftest [--lab <id>] [--json]
                                       every compute kernel on this machine's GPU against its
                                       float64 reference (max error / tolerance, pass / FAIL);
                                       exit 0 all pass, 1 a check failed, 2 bad flag or no GPU

run options:
  --config <file>     JSON config (or a .json snapshot: its config is rerun)
  --preset <id>       start from a preset instead of a file
  --set key=value     override a field; key is a path (lambda, particles.count, mu1.points[0][1]);
                      value is JSON when it parses as JSON, else a string (--set sampler=sde)
  --out <file>        .npz (numpy.load), .json (reloadable snapshot) or .csv (long format)
  --format <fmt>      npz | json | csv, when the file name does not say
  --backend <b>       auto | gpu | cpu (overrides FLOWLAB_BACKEND)
  --max-memory <size> memory budget of the run: bytes or 512MiB, 8GiB, ... (default: 3/4 of this
                      machine's memory); a config whose estimate (host arrays, GPU buffers,
                      recorded frames, the --out encoding) exceeds it exits 2 naming its fields
  --quiet             no progress or summary on stderr

sweep options (also --config, --preset, --set, --backend, --max-memory, --quiet):
  --vary key=v1,v2    one axis of the sweep: a config path (as --set) and its values (JSON each,
                      as --set); repeat for more axes
  --shard i/n         run only the flat indices k with k % n == i - 1 (1-based i), for job arrays;
                      join the shards with flowlab merge (options: --out, --max-memory, --quiet)

convergence options (also --config, --preset, --set, --backend, --max-memory, --quiet):
  --integrators a,b   the integrators compared (score-mixing: exp, heun, rk4, adaptive;
                      primal-dual: rotation, rk4, suzuki4)
  --steps 4,8,16      step counts (score-mixing)      --h 0.02,0.01   step sizes (primal-dual)
  --tols 1e-3,1e-4    tolerances of the adaptive integrator (score-mixing's 'adaptive'), run over
                      these instead of --steps

environment:
  FLOWLAB_BACKEND     auto (default: GPU, else SwiftShader if installed, else float64 CPU reference),
                      gpu (WebGPU or fail), cpu (float64 CPU reference)
  VK_ICD_FILENAMES    a Vulkan driver to use (e.g. SwiftShader's vk_swiftshader_icd.json)

exit codes: 0 ok, 1 runtime failure, 2 bad input, a run over the memory budget or too large for
            the GPU (the message names the field, value and allowed range)
`;

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const args = parseArgs(argv);
    if (args.flags.has('version')) {
      io.stdout.write(`${APP_VERSION}\n`);
      return 0;
    }
    if (args.flags.has('help') || args.command === 'help') {
      io.stdout.write(HELP);
      return 0;
    }
    if (args.command === undefined) {
      io.stderr.write(HELP);
      return 2;
    }
    switch (args.command) {
      case 'labs':
        if (args.positionals.length > 1) throw new UsageError(`flowlab labs: unexpected argument ${JSON.stringify(args.positionals[1])}`);
        io.stdout.write(args.flags.has('json') ? labsJson(args.positionals[0]) : labsText(args.positionals[0]));
        return 0;
      case 'run':
        return await runCommand(args, io);
      case 'selftest':
        return await selftestCommand(args, io);
      case 'convergence':
        return await convergenceCommand(args, io);
      case 'sweep':
        return await sweepCommand(args, io);
      case 'merge':
        return await mergeCommand(args, io);
      default:
        throw new UsageError(`unknown command ${JSON.stringify(args.command)}; commands: labs, run, sweep, merge, convergence, selftest (flowlab --help)`);
    }
  } catch (e) {
    if (e instanceof FieldError) {
      io.stderr.write(`flowlab: invalid config: ${e.message}\n`);
      return 2;
    }
    if (e instanceof UsageError || e instanceof UnknownLabError) {
      io.stderr.write(`flowlab: ${e.message}\n`);
      return 2;
    }
    if (e instanceof GpuLimitError) {
      // The device cannot hold the run (a buffer over maxStorageBufferBindingSize / maxBufferSize,
      // checked before it is created): bad input for this machine, named like a config field.
      io.stderr.write(`flowlab: too large for this GPU: ${e.message}\n`);
      return 2;
    }
    if (e instanceof BackendUnavailableError) {
      io.stderr.write(`flowlab: ${e.message}\n`);
      return 1;
    }
    const err = e as Error;
    io.stderr.write(`flowlab: error: ${err?.message ?? String(e)}\n`);
    if (io.env.FLOWLAB_DEBUG) io.stderr.write(`${err?.stack ?? ''}\n`);
    return 1;
  }
}
