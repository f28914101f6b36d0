export * from './address-policy.ts';
export * from './allowlist.ts';
export * from './guarded-connect.ts';
export * from './guarded-lookup.ts';
export * from './guarded-request.ts';
export * from './ip-address.ts';
