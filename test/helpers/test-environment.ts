/**
 * Names of the variables the Jest global setup passes to test workers. Kept free of imports:
 * the global setup must not load MikroORM (its metadata would leak across Jest's realms).
 */
export const serverUrlVariable = 'COALITION_TEST_SERVER_URL';
export const templateVariable = 'COALITION_TEST_TEMPLATE';
export const runPrefixVariable = 'COALITION_TEST_RUN';
/** A random id of this Jest run (a database prefix can repeat: it is the process id). */
export const runIdVariable = 'COALITION_TEST_RUN_ID';
