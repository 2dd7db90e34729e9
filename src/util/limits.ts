// Limits are documented options with defaults (wire, routing, links): the defaults with a
// caller's options applied, each checked to be a non-negative number.

/**
 * `defaults` overridden by the numbers in `options`, frozen. A value that is not a non-negative
 * number (or, with `finite`, an infinite one) is a TypeError naming `layer` and the key.
 */
export function resolveLimitOptions<L extends { readonly [K in keyof L]: number }>(
  layer: string, defaults: L, options: { readonly [K in keyof L]?: number } | undefined, finite = false,
): L {
  if (options === undefined) return defaults;
  const limits: Record<string, number> = { ...defaults };
  for (const key of Object.keys(defaults)) {
    const value = options[key as keyof L];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(value >= 0) || (finite && !Number.isFinite(value))) {
      throw new TypeError(`${layer} limit ${key} must be a ${finite ? 'finite ' : ''}non-negative number.`);
    }
    limits[key] = value;
  }
  return Object.freeze(limits) as L;
}
