/**
 * The deterministic YAML of `overview.yml`: two comment lines naming its authority; 2-space indentation; keys in
 * a fixed order; every string a JSON-style double-quoted scalar (non-ASCII as-is); ints plain; floats in
 * shortest round-trip form (`1.0`); `null`; the lists `bbox`, `shape`, `transform`, `values`, `roles` and
 * every empty list in flow style `[a, b]` wrapped at 100 columns (continuation lines indented 2 past the key);
 * other lists in block style; one trailing newline. Absent optional values (null citation, doi, lineage,
 * uncertainty, provider url, link title, publication doi, variable category/categories) are omitted; a null
 * `nodata` and a null `methodology_href` are written `null`.
 */
import type { Overview, OverviewTime, OverviewVariable } from './documents.js';
import { pyFloat } from './serialize.js';

const WIDTH = 100;
const q = (s: string): string => JSON.stringify(s);
const isFloatType = (t: string): boolean => t === 'float32' || t === 'float64';

/** `key: [a, b, …]` wrapped at 100 columns; continuation lines indented 2 past the key. */
function flow(indent: number, key: string, items: readonly string[]): string[] {
  const pad = ' '.repeat(indent);
  if (items.length === 0) return [`${pad}${key}: []`];
  const lines: string[] = [];
  let line = `${pad}${key}: [`;
  const cont = ' '.repeat(indent + 2);
  items.forEach((item, i) => {
    const piece = `${item}${i === items.length - 1 ? ']' : ','}`;
    const atStart = line.endsWith('[') || line === cont;
    if (!atStart && line.length + 1 + piece.length > WIDTH) {
      lines.push(line);
      line = `${cont}${piece}`;
    } else line = atStart ? `${line}${piece}` : `${line} ${piece}`;
  });
  lines.push(line);
  return lines;
}

function timeLines(t: OverviewTime): string[] {
  const out = ['  time:', `    kind: ${q(t.kind)}`];
  if (t.kind === 'regular') out.push(`    origin: ${q(t.origin)}`, `    step: ${q(t.step)}`);
  else out.push(...flow(4, 'values', t.values.map(q)));
  out.push(
    `    count: ${t.count}`,
    `    chunk_size: ${t.chunk_size}`,
    `    precision: ${q(t.precision)}`,
    `    calendar: ${q(t.calendar)}`,
    `    timestep_meaning: ${q(t.timestep_meaning)}`,
    `    endpoint_inclusion: ${q(t.endpoint_inclusion)}`,
  );
  return out;
}

function variableLines(id: string, v: OverviewVariable): string[] {
  const out = [
    `  ${id}:`,
    `    title: ${q(v.title)}`,
    `    description: ${q(v.description)}`,
    `    unit: ${q(v.unit)}`,
  ];
  if (v.category !== null) out.push(`    category: ${q(v.category)}`);
  if (v.categories !== null) {
    out.push('    categories:');
    const keys = Object.keys(v.categories).sort((a, b) => Number(a) - Number(b));
    for (const k of keys) out.push(`      ${k}: ${q(v.categories[k] as string)}`);
  }
  out.push(`    data_type: ${q(v.data_type)}`);
  const nodata = v.nodata === null ? 'null' : isFloatType(v.data_type) ? pyFloat(v.nodata) : String(v.nodata);
  out.push(`    nodata: ${nodata}`, `    scale: ${pyFloat(v.scale)}`, `    offset: ${pyFloat(v.offset)}`);
  if (v.asset_href !== null) out.push(`    asset_href: ${q(v.asset_href)}`);
  if (v.band_name !== null) out.push(`    band_name: ${q(v.band_name)}`);
  return out;
}

/** The exact text of `overview.yml` for an overview document. */
export function emitOverview(o: Overview): string {
  const d = o.dataset;
  const temporal = d.profile === 'TemporalCubeDataset';
  const lines = [
    '# Generated from validated STAC. Do not edit.',
    `# Authority: ${temporal ? 'collection.json and items/' : 'collection.json'}. Regenerated and byte-compared on build.`,
    `schema_version: ${q(o.schema_version)}`,
    `release_id: ${q(o.release_id)}`,
    `declaration_digest: ${q(o.declaration_digest)}`,
    'dataset:',
    `  id: ${q(d.id)}`,
    `  version: ${q(d.version)}`,
    `  title: ${q(d.title)}`,
    `  description: ${q(d.description)}`,
    `  profile: ${q(d.profile)}`,
    `  license: ${q(d.license)}`,
    `  region_name: ${q(d.region_name)}`,
    '  extent:',
    ...flow(4, 'bbox', d.extent.bbox.map(pyFloat)),
    '  grid:',
    `    code: ${q(d.grid.code)}`,
    ...flow(4, 'shape', d.grid.shape.map(String)),
    ...flow(4, 'transform', d.grid.transform.map(pyFloat)),
  ];
  if (d.time !== null) lines.push(...timeLines(d.time));
  if (d.providers.length === 0) lines.push('  providers: []');
  else {
    lines.push('  providers:');
    for (const p of d.providers) {
      lines.push(`    - name: ${q(p.name)}`, ...flow(6, 'roles', p.roles.map(q)));
      if (p.url !== null) lines.push(`      url: ${q(p.url)}`);
    }
  }
  if (d.citation !== null) lines.push(`  citation: ${q(d.citation)}`);
  if (d.doi !== null) lines.push(`  doi: ${q(d.doi)}`);
  if (d.lineage !== null) lines.push(`  lineage: ${q(d.lineage)}`);
  if (d.publications.length === 0) lines.push('  publications: []');
  else {
    lines.push('  publications:');
    for (const p of d.publications) {
      lines.push(`    - citation: ${q(p.citation)}`);
      if (p.doi !== null) lines.push(`      doi: ${q(p.doi)}`);
    }
  }
  if (d.uncertainty !== null) {
    const m = d.uncertainty.methodology_href;
    lines.push(
      '  uncertainty:',
      `    summary: ${q(d.uncertainty.summary)}`,
      `    methodology_href: ${m === null ? 'null' : q(m)}`,
    );
  }
  if (d.links.length === 0) lines.push('  links: []');
  else {
    lines.push('  links:');
    for (const l of d.links) {
      lines.push(`    - rel: ${q(l.rel)}`, `      href: ${q(l.href)}`);
      if (l.title !== null) lines.push(`      title: ${q(l.title)}`);
    }
  }
  const ids = Object.keys(o.variables).sort();
  if (ids.length === 0) lines.push('variables: {}');
  else {
    lines.push('variables:');
    for (const id of ids) lines.push(...variableLines(id, o.variables[id] as OverviewVariable));
  }
  return `${lines.join('\n')}\n`;
}
