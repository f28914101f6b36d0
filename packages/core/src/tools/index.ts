export * from './contract.ts';
export * from './define-tool.ts';
export * from './registry.ts';
export * from './control-tools.ts';
