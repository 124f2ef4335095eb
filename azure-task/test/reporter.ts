/**
 * mocha's spec reporter plus one closing line, `mocha: N passed, N failed`
 * (`, N skipped` when some were), in the plain form that CI logs are read for.
 */

import * as Mocha from 'mocha';

class SummaryReporter extends Mocha.reporters.Spec {
    constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
        super(runner, options);
        runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
            const stats = runner.stats;
            const passed = stats?.passes ?? 0;
            const failed = stats?.failures ?? 0;
            const skipped = stats?.pending ?? 0;
            const skippedText = skipped > 0 ? `, ${skipped} skipped` : '';
            console.log(`mocha: ${passed} passed, ${failed} failed${skippedText}`);
        });
    }
}

export = SummaryReporter;
