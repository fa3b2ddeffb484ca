import type { CodegenConfig } from '@graphql-codegen/cli';

/** Typed documents for the console, checked against the committed schema (`npm run codegen`). */
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['web/src/**/*.{ts,tsx}', '!web/src/gql/**'],
  ignoreNoDocuments: false,
  generates: {
    'web/src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string', JSON: 'unknown', BigInt: 'number | string', File: 'File' },
      },
    },
  },
};

export default config;
