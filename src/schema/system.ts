import { version } from '../version.ts';
import { builder } from './builder.ts';

builder.queryType({ description: 'The root of every read.' });
builder.mutationType({ description: 'The root of every change.' });

builder.queryField('version', (t) =>
  t.string({
    description: 'The version of this API server.',
    resolve: () => version,
  }),
);
