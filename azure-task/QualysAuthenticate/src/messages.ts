/**
 * The tasks' messages, looked up by key in the running task's `task.json`
 * (and its localized `Strings/resources.resjson/<culture>/resources.resjson`)
 * through task-lib's `loc`. Every message a task prints or fails with goes
 * through here.
 */

import * as tl from 'azure-pipelines-task-lib/task';

/** Every key of `messages` in QualysAuthenticate/task.json; a test keeps the two lists equal. */
export const MESSAGE_KEYS = [
    'AccessTokenUnexpanded',
    'AgentCaFile',
    'AgentProxy',
    'AgentProxyBypassed',
    'AuditLogNoDefault',
    'AuditLogOff',
    'AuditLogPath',
    'AuditLogUploaded',
    'Authenticated',
    'BothCredentials',
    'BothPlatforms',
    'CaFileUnreadable',
    'ConnectionNotFound',
    'ConnectionTokenMissing',
    'CredentialRule',
    'Environment',
    'GatewayPod',
    'InvalidWholeNumber',
    'LoginNotVerified',
    'NativeCallFailed',
    'NativeLibraryLoaded',
    'NativeLoadFailed',
    'NativeNeedsNewerGlibc',
    'NativeNotShipped',
    'NativeSettingRejected',
    'NativeUnknownLibc',
    'NoCredential',
    'NoPlatform',
    'PolicyBuiltIn',
    'PolicyCheck',
    'PolicyFailed',
    'PolicyFile',
    'PolicyFileMissing',
    'PolicyIssue',
    'SchemeNotAllowed',
    'TlsHint',
    'TokenExpiresAt',
    'TokenExpiryUnknown',
    'TokenFromConnection',
    'TokenFromInput',
    'TokenUser',
    'VariablesSet',
] as const;

/**
 * Every key of `messages` in QualysRegistryLogin/task.json; a test keeps the
 * two lists equal, and the texts of the keys that both tasks define equal.
 */
export const REGISTRY_MESSAGE_KEYS = [
    'AgentCaFile',
    'CaFileUnreadable',
    'InvalidWholeNumber',
    'LoginNotVerified',
    'NativeCallFailed',
    'NativeLibraryLoaded',
    'NativeLoadFailed',
    'NativeNeedsNewerGlibc',
    'NativeNotShipped',
    'NativeSettingRejected',
    'NativeUnknownLibc',
    'RegistryBothSources',
    'RegistryConnectionNotFound',
    'RegistryConnectionParameterMissing',
    'RegistryDockerConfig',
    'RegistryFromConnection',
    'RegistryFromInputs',
    'RegistryInputsMissing',
    'RegistryLoggedIn',
    'RegistryPasswordUnexpanded',
    'RegistryProxy',
    'RegistryProxyBypassed',
    'RegistrySchemeNotSupported',
    'RegistrySkipped',
    'RegistryStoredInFile',
    'RegistryStoredInHelper',
    'TlsHint',
] as const;

/**
 * A key of either task's messages. The modules that both tasks use raise
 * only keys that both define; a test checks each task's sources.
 */
export type MessageKey = (typeof MESSAGE_KEYS)[number] | (typeof REGISTRY_MESSAGE_KEYS)[number];

/** Loads the messages of `taskJson` (task.json) and of its culture's resources. */
export function loadMessages(taskJson: string): void {
    tl.setResourcePath(taskJson);
}

/** Formats the message `key` with `args` (`%s` placeholders, as `util.format`). */
export function message(key: MessageKey, ...args: unknown[]): string {
    return tl.loc(key, ...args);
}

/**
 * An error whose message is one of the task's messages. The top level of
 * the task turns it into the failed result as it is.
 */
export class TaskError extends Error {
    readonly key: MessageKey;

    constructor(key: MessageKey, ...args: unknown[]) {
        super(message(key, ...args));
        this.name = 'TaskError';
        this.key = key;
    }
}
