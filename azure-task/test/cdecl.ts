/**
 * A small parser for the C function prototypes of a cbindgen header and of
 * koffi's prototype strings, so that the two can be compared.
 *
 * It understands what the header uses: object-like macros and include
 * guards, comments, `extern "C"` blocks, enums, typedefs, and function
 * prototypes whose parameters are plain types with names. It is not a C
 * parser.
 */

/** A prototype reduced to what the ABI depends on. */
export interface Prototype {
    name: string;
    result: string;
    parameters: string[];
}

/** Removes comments and preprocessor lines. */
export function stripComments(source: string): string {
    return source
        .replace(/\/\*[\s\S]*?\*\//g, ' ')
        .replace(/\/\/[^\n]*/g, ' ')
        .replace(/^\s*#[^\n]*$/gm, ' ');
}

/**
 * Writes a type the same way whatever its spacing: `const char *`,
 * `qca_config **`, `uint32_t`. koffi's direction qualifiers are dropped.
 */
export function normalizeType(type: string, aliases: Readonly<Record<string, string>> = {}): string {
    let text = type.replace(/\b_(?:In|Out|Inout)_\b/g, ' ').replace(/\bstruct\s+/g, '').trim();
    text = text.replace(/\s+/g, ' ');
    // Replace an alias name by its definition, once per word.
    text = text.replace(/[A-Za-z_]\w*/g, (word) => aliases[word] ?? word);
    return text
        .replace(/\s*\*\s*/g, '*')
        .replace(/([^*\s])\*/g, '$1 *')
        .replace(/\s+/g, ' ')
        .trim();
}

/** Splits `type name` into the type, dropping the parameter name. */
function parameterType(parameter: string): string {
    const text = parameter.trim();
    const match = /^(.*?[\s*])([A-Za-z_]\w*)$/.exec(text);
    if (match !== null && match[1]!.trim().length > 0 && !/^(?:const|unsigned|signed)$/.test(match[1]!.trim())) {
        return match[1]!;
    }
    return text;
}

/** Parses one prototype, `result name(type a, type b)`, with or without the `;`. */
export function parsePrototype(text: string, aliases: Readonly<Record<string, string>> = {}): Prototype {
    const match = /^\s*([\s\S]*?[\s*])([A-Za-z_]\w*)\s*\(([\s\S]*)\)\s*;?\s*$/.exec(text);
    if (match === null) {
        throw new Error(`not a function prototype: ${text}`);
    }
    const rawParameters = match[3]!.trim();
    const parameters =
        rawParameters === '' || rawParameters === 'void'
            ? []
            : rawParameters.split(',').map((parameter) => normalizeType(parameterType(parameter), aliases));
    return { name: match[2]!, result: normalizeType(match[1]!, aliases), parameters };
}

/** Returns every prototype of a function whose name starts with `prefix`. */
export function headerPrototypes(
    header: string,
    prefix: string,
    aliases: Readonly<Record<string, string>> = {},
): Prototype[] {
    const code = stripComments(header);
    // The closing `;` is matched by lookahead, so it can open the next match.
    const pattern = new RegExp(`(?:^|[;{}])\\s*([A-Za-z_][\\w\\s*]*?[\\s*]${prefix}\\w*\\s*\\([^()]*\\))\\s*(?=;)`, 'g');
    const prototypes: Prototype[] = [];
    for (const match of code.matchAll(pattern)) {
        prototypes.push(parsePrototype(match[1]!, aliases));
    }
    return prototypes;
}

/** Returns the `NAME = value` constants of the header's enums. */
export function enumConstants(header: string, prefix: string): Record<string, number> {
    const code = stripComments(header);
    const constants: Record<string, number> = {};
    for (const match of code.matchAll(new RegExp(`\\b(${prefix}\\w*)\\s*=\\s*(\\d+)`, 'g'))) {
        constants[match[1]!] = Number(match[2]);
    }
    return constants;
}
