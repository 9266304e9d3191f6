const vm = require('node:vm');
const { TestEnvironment } = require('jest-environment-node');

/**
 * Jest's node environment, with V8's code cache shared by the test files a worker runs.
 *
 * Jest evaluates every module again in each test file's own registry (about 2,600 modules, 19 MB
 * of source for a file that serves the gateway) and compiles each with `vm.compileFunction`,
 * which V8's compilation cache does not serve: compiling was about a third of a file's module
 * loading. This module is loaded once per worker, outside the files' sandboxes. It compiles the
 * same function as a script, and when a file ends it keeps each new script's code cache, which
 * then holds every function the file ran (a cache taken at compile time would hold only the
 * top level, and V8 compiles the rest lazily, again in every file). A later file that loads the
 * same module (same path, same source, same parameters) deserializes instead of parsing. V8
 * checks a cache against its own flags and the source's length only, so the source is kept
 * beside its cache and compared (a string comparison: hashing the 19 MB took 40 ms a file).
 *
 * Measured on ten e2e files in one process: 24.8-28.1 s of CPU against 28.5-33.3 s.
 */
const compileFunction = vm.compileFunction;
/** By module (path and parameters): the source and code cache of its last complete compile. */
const codeCache = new Map();
/** Scripts compiled during the current file, whose cache is taken when it ends. */
let compiledInThisFile = [];

vm.compileFunction = function compileFunctionWithCodeCache(code, params = [], options = {}) {
  if (
    !options.filename ||
    !options.parsingContext ||
    options.cachedData ||
    options.produceCachedData
  ) {
    return compileFunction.call(this, code, params, options);
  }
  const key = `${options.filename}\0${params.join(',')}`;
  const cached = codeCache.get(key);
  const cachedData = cached?.code === code ? cached.data : undefined;
  // As Node wraps a CommonJS module; the offset keeps the first line's columns right.
  const prefix = `(function (${params.join(', ')}) {`;
  const script = new vm.Script(`${prefix}${code}\n})`, {
    filename: options.filename,
    columnOffset: -prefix.length,
    cachedData,
    importModuleDynamically: options.importModuleDynamically,
  });
  if (!cachedData || script.cachedDataRejected) compiledInThisFile.push([key, code, script]);
  return script.runInContext(options.parsingContext);
};

class CodeCachingEnvironment extends TestEnvironment {
  async teardown() {
    for (const [key, code, script] of compiledInThisFile) {
      codeCache.set(key, { code, data: script.createCachedData() });
    }
    compiledInThisFile = [];
    await super.teardown();
  }
}

module.exports = CodeCachingEnvironment;
