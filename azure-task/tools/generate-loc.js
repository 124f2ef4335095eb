#!/usr/bin/env node
/**
 * Generates task.loc.json and the en-US string resources
 * (Strings/resources.resjson/en-US/resources.resjson) from task.json in each
 * task folder (QualysAuthenticate, QualysRegistryLogin), in the
 * layout that azure-pipelines-task-lib's `loc` and the Azure DevOps task
 * packager read: every user-visible text of task.loc.json is a
 * `ms-resource:loc.*` key whose English text is in the resources file.
 *
 * Run `node tools/generate-loc.js` after editing task.json; a test fails
 * while the generated files are stale.
 */
'use strict';

const fs = require('fs');
const path = require('path');

/** The task folders of the extension. */
const TASK_DIRS = ['QualysAuthenticate', 'QualysRegistryLogin'].map((name) => path.join(__dirname, '..', name));

/** Returns `{ taskLoc, resources }` for a parsed task.json. */
function buildLocFiles(task) {
    const resources = {};
    const reference = (key, text) => {
        resources[key] = text;
        return `ms-resource:${key}`;
    };

    const taskLoc = JSON.parse(JSON.stringify(task));
    taskLoc.friendlyName = reference('loc.friendlyName', task.friendlyName);
    taskLoc.description = reference('loc.description', task.description);
    taskLoc.helpMarkDown = reference('loc.helpMarkDown', task.helpMarkDown);
    taskLoc.instanceNameFormat = reference('loc.instanceNameFormat', task.instanceNameFormat);
    for (const group of taskLoc.groups ?? []) {
        group.displayName = reference(`loc.group.displayName.${group.name}`, group.displayName);
    }
    for (const input of taskLoc.inputs ?? []) {
        input.label = reference(`loc.input.label.${input.name}`, input.label);
        if (input.helpMarkDown !== undefined) {
            input.helpMarkDown = reference(`loc.input.help.${input.name}`, input.helpMarkDown);
        }
    }
    for (const key of Object.keys(taskLoc.messages ?? {})) {
        taskLoc.messages[key] = reference(`loc.messages.${key}`, task.messages[key]);
    }
    return { taskLoc, resources };
}

/** Returns the files to write for every task, as path and text. */
function locFileTexts() {
    return TASK_DIRS.flatMap((taskDir) => {
        const task = JSON.parse(fs.readFileSync(path.join(taskDir, 'task.json'), 'utf8'));
        const { taskLoc, resources } = buildLocFiles(task);
        return [
            { file: path.join(taskDir, 'task.loc.json'), text: JSON.stringify(taskLoc, null, 2) + '\n' },
            {
                file: path.join(taskDir, 'Strings', 'resources.resjson', 'en-US', 'resources.resjson'),
                text: JSON.stringify(resources, null, 2) + '\n',
            },
        ];
    });
}

module.exports = { buildLocFiles, locFileTexts };

if (require.main === module) {
    for (const { file, text } of locFileTexts()) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, text);
        console.log(`wrote ${path.relative(process.cwd(), file)}`);
    }
}
