/**
 * Checks the koffi declarations in `QualysAuthenticate/src/native/abi.ts`
 * against the C header `include/qualys_ci_auth.h`: the same functions, with
 * the same result and parameter types, and the same status numbers.
 */

import * as assert from 'assert';
import * as fs from 'fs';

import { PROTOTYPES, STATUS_NAMES, TYPE_ALIASES } from '../QualysAuthenticate/dist/native/abi';
import { enumConstants, headerPrototypes, normalizeType, parsePrototype, Prototype } from './cdecl';
import { HEADER_FILE } from './paths';

describe('koffi declarations', function () {
    let header: string;
    let fromHeader: Map<string, Prototype>;
    let fromKoffi: Map<string, Prototype>;

    before(function () {
        assert.ok(fs.existsSync(HEADER_FILE), `the C header ${HEADER_FILE} is missing`);
        header = fs.readFileSync(HEADER_FILE, 'utf8');
        fromHeader = new Map(headerPrototypes(header, 'qca_', TYPE_ALIASES).map((p) => [p.name, p]));
        fromKoffi = new Map(Object.values(PROTOTYPES).map((text) => parsePrototype(text, TYPE_ALIASES)).map((p) => [p.name, p]));
    });

    it('parser reads prototypes', function () {
        const parsed = parsePrototype('qca_status qca_f(const qca_config*cfg, _Out_ char ** out, size_t len)', TYPE_ALIASES);
        assert.deepStrictEqual(parsed, {
            name: 'qca_f',
            result: 'uint32_t',
            parameters: ['const qca_config *', 'char **', 'size_t'],
        });
        assert.strictEqual(normalizeType('const   char*'), 'const char *');
        assert.deepStrictEqual(parsePrototype('void f(void)').parameters, []);
    });

    it('header declares the functions', function () {
        assert.ok(fromHeader.size >= 20, `expected the header's qca_ functions, found ${[...fromHeader.keys()].join(', ')}`);
    });

    it('keys match the declared names', function () {
        for (const [key, text] of Object.entries(PROTOTYPES)) {
            assert.strictEqual(parsePrototype(text).name, key, `PROTOTYPES.${key} declares another function`);
        }
    });

    it('every header function is declared', function () {
        const missing = [...fromHeader.keys()].filter((name) => !fromKoffi.has(name));
        assert.deepStrictEqual(missing, [], 'functions in the header but not in abi.ts');
    });

    it('every declaration is in the header', function () {
        const extra = [...fromKoffi.keys()].filter((name) => !fromHeader.has(name));
        assert.deepStrictEqual(extra, [], 'functions in abi.ts but not in the header');
    });

    it('result and parameter types match', function () {
        for (const [name, declared] of fromKoffi) {
            const expected = fromHeader.get(name);
            if (expected === undefined) {
                continue;
            }
            assert.strictEqual(declared.result, expected.result, `${name}: result type`);
            assert.strictEqual(declared.parameters.length, expected.parameters.length, `${name}: parameter count`);
            assert.deepStrictEqual(declared.parameters, expected.parameters, `${name}: parameter types`);
        }
    });

    it('status values match', function () {
        assert.deepStrictEqual(enumConstants(header, 'QCA_'), { ...STATUS_NAMES });
    });

    it('qca_status is 32-bit unsigned', function () {
        const code = header.replace(/\s+/g, ' ');
        assert.ok(
            /typedef uint32_t qca_status;/.test(code) || /enum qca_status : uint32_t/.test(code),
            'koffi declares qca_status as uint32_t, so the header must make it uint32_t too',
        );
    });
});
