import { GraphQLScalarType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../../src/schema/index.ts';

const dateTime = schema.getType('DateTime') as GraphQLScalarType;

describe('DateTime', () => {
  it('serialises Dates and ISO strings as UTC ISO-8601', () => {
    expect(dateTime.serialize(new Date(Date.UTC(2026, 11, 1, 8, 30)))).toBe('2026-12-01T08:30:00.000Z');
    expect(dateTime.serialize('2026-12-01T09:30:00+01:00')).toBe('2026-12-01T08:30:00.000Z');
  });

  it('gives the same Date the same string, and a Date changed in place its new value', () => {
    const date = new Date(Date.UTC(2026, 0, 1));
    expect(dateTime.serialize(date)).toBe('2026-01-01T00:00:00.000Z');
    expect(dateTime.serialize(date)).toBe('2026-01-01T00:00:00.000Z');
    date.setUTCFullYear(2027);
    expect(dateTime.serialize(date)).toBe('2027-01-01T00:00:00.000Z');
    const other = new Date(Date.UTC(2028, 5, 2));
    expect(dateTime.serialize(other)).toBe('2028-06-02T00:00:00.000Z');
    expect(dateTime.serialize(date)).toBe('2027-01-01T00:00:00.000Z');
  });

  it('refuses an invalid date instead of serialising garbage', () => {
    expect(() => dateTime.serialize(new Date('nope'))).toThrow();
  });
});
