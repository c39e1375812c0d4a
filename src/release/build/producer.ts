/** Who builds releases: recorded in every manifest (`producer`) and in the STAC (`processing:software`). */
export const PRODUCER_NAME = 'skope-api dataset pipeline';
/** Version of the release builder; bump when the bytes it writes for the same declaration change. */
export const PRODUCER_VERSION = '0.1.0';
