/** overview.yml byte for byte: the PaleoCAR v3 prototype overview (abridged prose) of docs/RELEASES.md. */
import { describe, expect, it } from 'vitest';
import { parseOverview, type OverviewTime } from './documents.js';
import { emitOverview } from './overview.emit.js';

const PROTOTYPE = `# Generated from validated STAC. Do not edit.
# Authority: collection.json and items/. Regenerated and byte-compared on build.
schema_version: "1.0.0"
release_id: "paleocar_v3-r-2026.10.07"
declaration_digest: "fa5b29a944289e7677f1bff46216a2222f20f5eb73d7237e9d453e0c2e1f059e"
dataset:
  id: "paleocar_v3"
  version: "3"
  title: "PaleoCAR: SW USA Paleoclimate Reconstruction (V3)"
  description: "…"
  profile: "TemporalCubeDataset"
  license: "CC-BY-4.0"
  region_name: "Southwestern USA"
  extent:
    bbox: [-114.995833333457, 30.99583333406604, -101.995833334055, 42.9958333336016]
  grid:
    code: "EPSG:4269"
    shape: [1440, 1560]
    transform: [0.008333333332949996, 0.0, -114.995833333457, 0.0, -0.008333333333010806,
      42.9958333336016]
  time:
    kind: "regular"
    origin: "0103"
    step: "P1Y"
    count: 1898
    chunk_size: 100
    precision: "year"
    calendar: "proleptic_gregorian"
    timestep_meaning: "aggregation_period"
    endpoint_inclusion: "inclusive"
  providers:
    - name: "R. Kyle Bocinsky and Timothy A. Kohler"
      roles: ["producer", "licensor"]
    - name: "SKOPE project"
      roles: ["processor", "host"]
  lineage: "…"
  publications:
    - citation: "…"
      doi: "10.1038/ncomms6618"
    - citation: "…"
      doi: "10.1126/sciadv.1501532"
  uncertainty:
    summary: "…"
    methodology_href: null
  links:
    - rel: "via"
      href: "https://www.ncei.noaa.gov/access/paleo-search/study/19783"
      title: "NOAA NCEI paleoclimatology study 19783"
variables:
  gdd_cotton_annual:
    title: "Annual (Jan–Dec) Cotton Growing Degree Days"
    description: "…"
    unit: "°F GDD"
    category: "Growing Degree Days"
    data_type: "uint32"
    nodata: 4294967295
    scale: 1.0
    offset: 0.0
  ppt_annual:
    title: "Annual (Jan–Dec) Precipitation"
    description: "…"
    unit: "mm"
    category: "Precipitation"
    data_type: "uint32"
    nodata: 4294967295
    scale: 1.0
    offset: 0.0
`;

describe('emitOverview', () => {
  it('reproduces the prototype overview from its parsed document', () => {
    const parsed = parseOverview(PROTOTYPE);
    expect(parsed.dataset.time?.count).toBe(1898);
    expect(emitOverview(parsed)).toBe(PROTOTYPE);
  });
  it('flow lists wrap at 100 columns and round-trip', () => {
    const parsed = parseOverview(PROTOTYPE);
    const values = Array.from({ length: 40 }, (_, i) => String(1000 + i * 3));
    const base = parsed.dataset.time;
    if (base === null) throw new Error('fixture');
    const time: OverviewTime = {
      kind: 'enumerated',
      values,
      count: 40,
      chunk_size: base.chunk_size,
      precision: base.precision,
      calendar: base.calendar,
      timestep_meaning: base.timestep_meaning,
      endpoint_inclusion: base.endpoint_inclusion,
    };
    const doc = { ...parsed, dataset: { ...parsed.dataset, time } };
    const text = emitOverview(doc);
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
    expect(text).toContain('    values: ["1000", "1003"');
    expect(parseOverview(text)).toEqual(doc);
  });
  it('refuses unknown fields and a missing time for a temporal dataset', () => {
    expect(() => parseOverview(PROTOTYPE.replace('  region_name:', '  colormap: "x"\n  region_name:'))).toThrow(
      /colormap/,
    );
    const noTime = PROTOTYPE.replace(/ {2}time:\n( {4}.*\n)+/, '');
    expect(() => parseOverview(noTime)).toThrow(/time/);
  });
});
