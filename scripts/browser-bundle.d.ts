export interface BundleSize {
  readonly name: string;
  readonly minified: number;
  readonly gzipped: number;
}

export function bundleForBrowser(entryPoints: Record<string, string>, outdir: string | null): Promise<BundleSize[]>;
