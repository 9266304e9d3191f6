import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;

function toInt64(value: unknown): bigint {
  let parsed: bigint | undefined;
  if (typeof value === 'bigint') parsed = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) parsed = BigInt(value);
  else if (typeof value === 'string' && /^-?\d{1,19}$/.test(value)) parsed = BigInt(value);
  if (parsed === undefined || parsed < int64Min || parsed > int64Max) {
    throw new GraphQLError(
      'Int64 must be a whole number between -2^63 and 2^63-1, written as a decimal string ("1500") or an integer',
      { extensions: { code: 'BAD_USER_INPUT' } },
    );
  }
  return parsed;
}

/**
 * Points and minor units of money never travel as floats: JSON numbers lose precision beyond
 * 2^53, so this scalar is a decimal string in responses and accepts a string or an integer in
 * requests.
 */
export const Int64 = new GraphQLScalarType<bigint, string>({
  name: 'Int64',
  description:
    'A signed 64-bit integer written as a decimal string, e.g. "1500": points, or money in minor units (cents). Requests may also send an integer literal.',
  serialize: (value) => toInt64(value).toString(),
  parseValue: toInt64,
  parseLiteral(ast) {
    if (ast.kind === Kind.INT || ast.kind === Kind.STRING) return toInt64(ast.value);
    throw new GraphQLError('Int64 must be a string or an integer literal', {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  },
});
