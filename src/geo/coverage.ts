/**
 * Cell selection rule for an area (CONTRACT §3 extension). `centre`: cells whose centre is inside, with the
 * all-touched fallback when none is (upstream default); `all_touched`: every cell the geometry touches;
 * `fractional`: every touched cell weighted by the exact share of it inside (exactextract semantics).
 */
export type CoverageMode = 'centre' | 'all_touched' | 'fractional';
