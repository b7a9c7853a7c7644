/**
 * js-yaml exports its built-in types (`types.merge`, …) at run time; @types/js-yaml 4.0.9 does
 * not declare them. Only what config/load-config.ts uses.
 */
import type { Type } from 'js-yaml';

declare module 'js-yaml' {
  export const types: { readonly merge: Type };
}
