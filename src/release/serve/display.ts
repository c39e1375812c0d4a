/**
 * The two display files of a release-serving deployment (docs/RELEASES.md, "Display files"): `preferences.yml`
 * (per dataset and variable: order, map view, default variable, palette, range, ticks, note, labels) and
 * `palettes.yml` (name → `ramp` or `set` of `#RRGGBB` colours). Presentation never lives in a release; these files
 * are shared by every environment, only pins differ.
 *
 * Two rounds of checks: {@link parseDisplayFiles} (DISP-012: schemas, palettes exist, stated type vs palette kind,
 * continuous has a range, ordered finite ranges, ticks inside the range, numeric order, named map view, no unknown
 * field — needs no release data, CI runs it on the committed files) and {@link checkDisplayForRelease} (DISP-013: per
 * served dataset and variable, against the release's overview).
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { VariableDisplay } from '../../registry/types.js';
import type { Refusal } from './refusal.js';

const HEX = /^#[0-9A-Fa-f]{6}$/;
const PALETTE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const INTEGER_KEY = /^-?\d+$/;

const finite = z.number().refine(Number.isFinite, 'must be finite');
const ticksSchema = z.union([z.number().int().min(2), z.array(finite).min(2)]);

const paletteSchema = z.strictObject({
  kind: z.enum(['ramp', 'set']),
  colors: z.array(z.string().regex(HEX, 'must be a #RRGGBB colour')).min(1),
});

const palettesSchema = z.record(
  z.string().regex(PALETTE_NAME, 'palette names match [A-Za-z0-9_-]{1,64}'),
  paletteSchema,
);

const variablePrefSchema = z.strictObject({
  order: finite,
  palette: z.string().min(1),
  type: z.enum(['continuous', 'categorical']).optional(),
  range: z.tuple([finite, finite]).optional(),
  ticks: ticksSchema.optional(),
  note: z.string().optional(),
  labels: z.record(z.string().regex(INTEGER_KEY, 'label keys are integer category values'), z.string()).optional(),
});

const datasetPrefSchema = z.strictObject({
  order: finite,
  map_view: z
    .strictObject({
      center: z.strictObject({ lon: finite.min(-180).max(180), lat: finite.min(-90).max(90) }),
      zoom: finite.min(0).max(24),
    })
    .optional(),
  default_variable: z.string().min(1).optional(),
  variables: z.record(z.string(), variablePrefSchema),
});

const preferencesSchema = z.strictObject({
  defaults: z
    .strictObject({
      ticks: ticksSchema.optional(),
      nodata: z.literal('transparent').optional(),
    })
    .optional(),
  datasets: z.record(z.string(), datasetPrefSchema),
});

/** One palette: a continuous `ramp` (≥ 2 colours, interpolated across a range) or a categorical `set`. */
export type Palette = z.infer<typeof paletteSchema>;
/** A variable's display preferences; `range` in physical units. */
export type VariablePreference = z.infer<typeof variablePrefSchema>;
/** A dataset's display preferences (`map_view` centre in lon/lat degrees, WGS 84). */
export type DatasetPreference = z.infer<typeof datasetPrefSchema>;

/** Both display files, parsed and checked (DISP-012). */
export interface DisplayFiles {
  /** Default tick count or list (5 when the file says none). */
  defaultTicks: number | number[];
  datasets: Readonly<Record<string, DatasetPreference>>;
  palettes: Readonly<Record<string, Palette>>;
}

/** What the DISP-013 checks need of one served release: its variables and their categories (integer values). */
export interface ServedDataset {
  datasetId: string;
  releaseId: string;
  variables: readonly { id: string; categories: readonly number[] | null }[];
}

/** The `display` object of a `/metadata` 1.0.0 variable (the legend; ranges physical, no client multiplier). */
export interface MetadataDisplay {
  type: 'continuous' | 'categorical';
  palette: string;
  colors: string[];
  range: [number, number] | null;
  ticks: number | number[];
  note: string | null;
}

/**
 * Parses and checks both display files (DISP-012). Failures are returned, not thrown: one refusal per problem, with
 * requirement `DISP-012` and dataset/release `-`.
 * @param sources names of the files for messages.
 */
export function parseDisplayFiles(
  preferencesText: string,
  palettesText: string,
  sources: { preferences: string; palettes: string },
): { files: DisplayFiles | null; refusals: Refusal[] } {
  const refusals: Refusal[] = [];
  const refuse = (check: string, expected: string, observed: string): void => {
    refusals.push({ requirement: 'DISP-012', dataset: '-', release_id: '-', check, expected, observed });
  };
  const prefs = parseFile(preferencesText, preferencesSchema, sources.preferences, refuse);
  const palettes = parseFile(palettesText, palettesSchema, sources.palettes, refuse);
  if (prefs === null || palettes === null) return { files: null, refusals };

  for (const [name, p] of Object.entries(palettes)) {
    if (p.kind === 'ramp' && p.colors.length < 2) {
      refuse('palette_colors', `palette '${name}' (ramp) has at least 2 colours`, `${p.colors.length}`);
    }
    if (p.colors.length > 256)
      refuse('palette_colors', `palette '${name}' has at most 256 colours`, `${p.colors.length}`);
  }
  const defaultTicks = prefs.defaults?.ticks ?? 5;
  for (const [datasetId, d] of Object.entries(prefs.datasets)) {
    for (const [variableId, v] of Object.entries(d.variables)) {
      const where = `${datasetId}.${variableId}`;
      const palette = Object.hasOwn(palettes, v.palette) ? palettes[v.palette] : undefined;
      if (palette === undefined) {
        refuse('palette_exists', `palette '${v.palette}' of ${where} is defined in ${sources.palettes}`, 'missing');
      } else if (v.type !== undefined && (v.type === 'continuous') !== (palette.kind === 'ramp')) {
        refuse('type_matches_palette_kind', `${where} (${v.type}) uses a ${kindFor(v.type)}`, palette.kind);
      }
      if (v.type === 'continuous' && v.range === undefined)
        refuse('continuous_has_range', `${where} has a range`, 'none');
      if (v.range !== undefined && !(v.range[0] < v.range[1])) {
        refuse('range_ordered', `${where} range lower < upper`, JSON.stringify(v.range));
      }
      const ticks = v.ticks ?? defaultTicks;
      if (Array.isArray(ticks) && v.range !== undefined) {
        const [lo, hi] = v.range;
        const outside = ticks.filter((t) => t < lo || t > hi);
        if (outside.length > 0)
          refuse('ticks_in_range', `${where} ticks within ${JSON.stringify(v.range)}`, JSON.stringify(outside));
      }
    }
  }
  return {
    files: refusals.length === 0 ? { defaultTicks, datasets: prefs.datasets, palettes } : null,
    refusals,
  };
}

/**
 * The DISP-013 checks of one served release, in order: a dataset entry exists (DISP-001); `default_variable`, if set,
 * is a variable of the release (DISP-007); per variable (by id): an entry exists (DISP-001); a stated `type` agrees
 * with the variable being categorical (DISP-002); continuous ⇒ `range` (DISP-002); palette kind `ramp` for
 * continuous, `set` for categorical, and a set has a colour per category (DISP-010); `labels` name only declared
 * categories (DISP-008). Entries for datasets or variables not served are allowed.
 */
export function checkDisplayForRelease(files: DisplayFiles, served: ServedDataset): Refusal[] {
  const refusals: Refusal[] = [];
  const refuse = (requirement: string, check: string, expected: string, observed: string): void => {
    refusals.push({ requirement, dataset: served.datasetId, release_id: served.releaseId, check, expected, observed });
  };
  const d = Object.hasOwn(files.datasets, served.datasetId) ? files.datasets[served.datasetId] : undefined;
  if (d === undefined) {
    refuse('DISP-001', 'display_dataset_entry', `a preferences entry for dataset '${served.datasetId}'`, 'missing');
    return refusals;
  }
  const ids = served.variables.map((v) => v.id);
  if (d.default_variable !== undefined && !ids.includes(d.default_variable)) {
    refuse('DISP-007', 'default_variable_exists', `one of ${JSON.stringify(ids)}`, d.default_variable);
  }
  for (const v of [...served.variables].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const pref = Object.hasOwn(d.variables, v.id) ? d.variables[v.id] : undefined;
    if (pref === undefined) {
      refuse('DISP-001', 'display_variable_entry', `a preferences entry for variable '${v.id}'`, 'missing');
      continue;
    }
    const actual = v.categories !== null ? 'categorical' : 'continuous';
    if (pref.type !== undefined && pref.type !== actual) {
      refuse('DISP-002', 'display_type', `${v.id}: ${actual} (the release says)`, pref.type);
    }
    if (actual === 'continuous' && pref.range === undefined) {
      refuse('DISP-002', 'continuous_has_range', `${v.id}: a range`, 'none');
    }
    const palette = files.palettes[pref.palette] as Palette;
    if (palette.kind !== kindFor(actual)) {
      refuse(
        'DISP-010',
        'palette_kind',
        `${v.id}: a ${kindFor(actual)} palette for a ${actual} variable`,
        `${pref.palette} (${palette.kind})`,
      );
    } else if (v.categories !== null && palette.colors.length < v.categories.length) {
      refuse(
        'DISP-010',
        'palette_size',
        `${v.id}: at least ${v.categories.length} colours`,
        `${palette.colors.length}`,
      );
    }
    if (pref.labels !== undefined) {
      const declared = new Set((v.categories ?? []).map(String));
      const extra = Object.keys(pref.labels).filter((k) => !declared.has(String(Number(k))));
      if (extra.length > 0)
        refuse('DISP-008', 'labels_declared', `${v.id}: labels of declared categories only`, JSON.stringify(extra));
    }
  }
  return refusals;
}

/**
 * How tiles draw a checked variable, and its `/metadata` legend: the same palette and range for both.
 * @param categories ascending integer category values, or null for a continuous variable.
 */
export function resolveDisplay(
  files: DisplayFiles,
  datasetId: string,
  variableId: string,
  categories: readonly number[] | null,
): { tiles: VariableDisplay; legend: MetadataDisplay } {
  const pref = (files.datasets[datasetId] as DatasetPreference).variables[variableId] as VariablePreference;
  const palette = files.palettes[pref.palette] as Palette;
  const colors = [...palette.colors];
  const ticks = pref.ticks ?? files.defaultTicks;
  const note = pref.note ?? null;
  if (categories !== null) {
    return {
      tiles: { type: 'categorical', palette: pref.palette, colors, categories: [...categories] },
      legend: { type: 'categorical', palette: pref.palette, colors, range: null, ticks, note },
    };
  }
  const range = pref.range as [number, number];
  return {
    tiles: { type: 'continuous', palette: pref.palette, colors, range: [range[0], range[1]] },
    legend: { type: 'continuous', palette: pref.palette, colors, range: [range[0], range[1]], ticks, note },
  };
}

function kindFor(type: 'continuous' | 'categorical'): Palette['kind'] {
  return type === 'continuous' ? 'ramp' : 'set';
}

function parseFile<T>(
  text: string,
  schema: z.ZodType<T>,
  source: string,
  refuse: (check: string, expected: string, observed: string) => void,
): T | null {
  let doc: unknown;
  try {
    // Duplicate keys are an error (the yaml package's default), and no custom tags.
    doc = parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    refuse('display_file_parses', `${source} parses as YAML`, (err as Error).message.split('\n')[0] ?? 'error');
    return null;
  }
  const parsed = schema.safeParse(doc);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      refuse('display_file_schema', `${source}: ${issue.message}`, `at ${issue.path.join('.') || '(root)'}`);
    }
    return null;
  }
  return parsed.data;
}
