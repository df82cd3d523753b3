import type { BuildOptions } from 'esbuild';

export declare const nativeOptional: string[];
export declare const nodeAliases: Pick<BuildOptions, 'alias'>;
export declare const esmNodeShims: Pick<BuildOptions, 'banner'>;
export declare const cjsImportMeta: Pick<BuildOptions, 'define' | 'banner'>;
export declare function nodeEsmBundle(entry: string, outfile: string): BuildOptions;
export declare function cliBundle(outdir: string): BuildOptions;
export declare function toolServerBundle(outfile: string): BuildOptions;
