/** Paths of the release test fixtures (authoring inputs under test/fixtures/release/). */
export const RELEASE_FIXTURES = new URL('../fixtures/release/', import.meta.url).pathname;
