import SchemaBuilder from '@pothos/core';
import { GraphQLError, Kind } from 'graphql';
import type { Context } from '../context.ts';
import { isoString } from '../iso-time.ts';

export const builder = new SchemaBuilder<{
  Context: Context;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
    BigInt: { Input: bigint; Output: bigint | number | string };
    File: { Input: File; Output: never };
  };
}>({ defaultFieldNullability: false });

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

builder.scalarType('DateTime', {
  description: 'An ISO-8601 timestamp in UTC.',
  serialize: (value) => (value instanceof Date ? isoString(value) : new Date(value).toISOString()),
  parseValue: (value) => {
    const date = new Date(String(value));
    if (Number.isNaN(date.getTime())) throw new GraphQLError('DateTime must be an ISO-8601 string');
    return date;
  },
});

builder.scalarType('JSON', {
  description: 'Any JSON value.',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: function parse(ast): unknown {
    switch (ast.kind) {
      case Kind.STRING:
      case Kind.BOOLEAN:
        return ast.value;
      case Kind.INT:
      case Kind.FLOAT:
        return Number(ast.value);
      case Kind.NULL:
        return null;
      case Kind.LIST:
        return ast.values.map((v) => parse(v));
      case Kind.OBJECT:
        return Object.fromEntries(ast.fields.map((f) => [f.name.value, parse(f.value)]));
      default:
        throw new GraphQLError('Variables are not allowed inside a JSON literal');
    }
  },
});

builder.scalarType('BigInt', {
  description: 'A 64-bit integer, serialised as a JSON number when it is exact, otherwise as a string.',
  serialize: (value) => {
    const n = BigInt(value);
    return n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(n) : n.toString();
  },
  parseValue: (value) => {
    try {
      return BigInt(value as string | number);
    } catch {
      throw new GraphQLError('BigInt must be an integer');
    }
  },
});

builder.scalarType('File', {
  description: 'A file sent as a GraphQL multipart upload.',
  serialize: () => {
    throw new GraphQLError('File is an input-only scalar');
  },
});
