/**
 * Property tests run with one fixed seed, so a run in CI passes or fails for a reason, never by the luck of a
 * fresh random seed. `FC_SEED=<n>` (or `FC_SEED=random`) explores other seeds locally; fast-check prints the seed
 * and path of any failure, and a counterexample it finds becomes a permanent `examples` entry of that property.
 */
import fc from 'fast-check';

const DEFAULT_SEED = 20_261_206;
const requested = process.env['FC_SEED'];
const seed =
  requested === 'random' ? Math.floor(Math.random() * 2 ** 31) : requested ? Number(requested) : DEFAULT_SEED;
if (!Number.isInteger(seed)) throw new Error(`FC_SEED must be an integer or 'random', got '${requested ?? ''}'`);
if (seed !== DEFAULT_SEED) console.warn(`NOTICE: fast-check seed ${seed}`);
fc.configureGlobal({ seed });
