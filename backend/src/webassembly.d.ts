// Node has the WebAssembly global, but TypeScript declares it in the DOM lib, which the backend does
// not load (see tsconfig.json), and @types/node 20 does not declare it. What store/migrate.ts uses:
declare namespace WebAssembly {
  type ModuleImports = Record<string, unknown>;
  interface Instance {
    readonly exports: Record<string, unknown>;
  }
  function instantiate(
    bytes: Uint8Array,
    imports?: Record<string, ModuleImports>,
  ): Promise<{ instance: Instance; module: unknown }>;
}
