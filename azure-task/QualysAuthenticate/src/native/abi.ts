/**
 * The C ABI of libqualys_ci_auth as koffi declares it: the one place that
 * restates `include/qualys_ci_auth.h` in TypeScript.
 *
 * The prototypes are plain data so that a test can parse them and compare
 * names, parameter counts and types with the header's. Loading and binding
 * happen in `library.ts`.
 */

/** Status values of `qca_status`, identical to the header's enum. */
export enum QcaStatus {
    Ok = 0,
    InvalidArgument = 1,
    CredentialNotAllowed = 2,
    MissingCredential = 3,
    AuthenticationFailed = 10,
    TokenRejected = 11,
    TokenExpired = 12,
    PermissionDenied = 13,
    RegistryRejected = 14,
    ApiError = 20,
    RateLimited = 21,
    NetworkError = 30,
    TlsError = 31,
    Timeout = 32,
    Io = 40,
    ConfigMalformed = 41,
    CredentialHelperFailed = 42,
    Internal = 50,
    PolicyFailed = 60,
    NullArgument = 100,
    InvalidUtf8 = 101,
    InputTooLarge = 102,
    BufferTooSmall = 103,
    InvalidHandle = 104,
    Panic = 105,
}

/** The header's name of each status value, for the header comparison test. */
export const STATUS_NAMES: Readonly<Record<string, QcaStatus>> = {
    QCA_OK: QcaStatus.Ok,
    QCA_INVALID_ARGUMENT: QcaStatus.InvalidArgument,
    QCA_CREDENTIAL_NOT_ALLOWED: QcaStatus.CredentialNotAllowed,
    QCA_MISSING_CREDENTIAL: QcaStatus.MissingCredential,
    QCA_AUTHENTICATION_FAILED: QcaStatus.AuthenticationFailed,
    QCA_TOKEN_REJECTED: QcaStatus.TokenRejected,
    QCA_TOKEN_EXPIRED: QcaStatus.TokenExpired,
    QCA_PERMISSION_DENIED: QcaStatus.PermissionDenied,
    QCA_REGISTRY_REJECTED: QcaStatus.RegistryRejected,
    QCA_API_ERROR: QcaStatus.ApiError,
    QCA_RATE_LIMITED: QcaStatus.RateLimited,
    QCA_NETWORK_ERROR: QcaStatus.NetworkError,
    QCA_TLS_ERROR: QcaStatus.TlsError,
    QCA_TIMEOUT: QcaStatus.Timeout,
    QCA_IO: QcaStatus.Io,
    QCA_CONFIG_MALFORMED: QcaStatus.ConfigMalformed,
    QCA_CREDENTIAL_HELPER_FAILED: QcaStatus.CredentialHelperFailed,
    QCA_INTERNAL: QcaStatus.Internal,
    QCA_POLICY_FAILED: QcaStatus.PolicyFailed,
    QCA_NULL_ARGUMENT: QcaStatus.NullArgument,
    QCA_INVALID_UTF8: QcaStatus.InvalidUtf8,
    QCA_INPUT_TOO_LARGE: QcaStatus.InputTooLarge,
    QCA_BUFFER_TOO_SMALL: QcaStatus.BufferTooSmall,
    QCA_INVALID_HANDLE: QcaStatus.InvalidHandle,
    QCA_PANIC: QcaStatus.Panic,
};

/** Opaque handle types of the header, declared with `koffi.opaque`. */
export const OPAQUE_TYPES = ['qca_config', 'qca_session', 'qca_error'] as const;

/**
 * Type names declared to koffi, with the header's spelling of each.
 * `qca_owned_string` is a `char *` that koffi converts to a JS string and
 * then passes to `qca_string_free`, so no returned string leaks.
 */
export const TYPE_ALIASES: Readonly<Record<string, string>> = {
    qca_status: 'uint32_t',
    qca_owned_string: 'char *',
};

/** The disposable string type; see `TYPE_ALIASES`. */
export const OWNED_STRING_TYPE = 'qca_owned_string';

/**
 * Every function of the header, in koffi's prototype syntax. `_Out_` marks
 * parameters that koffi copies back into a one-element array after the call.
 * `qca_string_free` comes first because the owned string type needs it.
 */
export const PROTOTYPES = {
    qca_string_free: 'void qca_string_free(char *s)',
    qca_version: 'const char *qca_version(void)',

    qca_config_new: 'qca_status qca_config_new(_Out_ qca_config **out)',
    qca_config_set_pod: 'qca_status qca_config_set_pod(qca_config *config, const char *pod)',
    qca_config_set_gateway_url: 'qca_status qca_config_set_gateway_url(qca_config *config, const char *url)',
    qca_config_set_allow_insecure_loopback:
        'qca_status qca_config_set_allow_insecure_loopback(qca_config *config, bool allow)',
    qca_config_set_ca_pem: 'qca_status qca_config_set_ca_pem(qca_config *config, const uint8_t *pem, size_t len)',
    qca_config_set_platform: 'qca_status qca_config_set_platform(qca_config *config, const char *platform)',
    qca_config_set_backend: 'qca_status qca_config_set_backend(qca_config *config, const char *backend)',
    qca_config_set_timeouts:
        'qca_status qca_config_set_timeouts(qca_config *config, uint32_t request_timeout_ms, uint32_t deadline_ms, uint32_t max_attempts)',
    qca_config_set_api_token:
        'qca_status qca_config_set_api_token(qca_config *config, const uint8_t *token, size_t len)',
    qca_config_set_username_password:
        'qca_status qca_config_set_username_password(qca_config *config, const char *username, const uint8_t *password, size_t len)',
    qca_config_set_proxy:
        'qca_status qca_config_set_proxy(qca_config *config, const char *url, const char *username, const uint8_t *password, size_t password_len, const char *no_proxy)',
    qca_config_set_environment: 'qca_status qca_config_set_environment(qca_config *config, const char *label)',
    qca_config_set_policy_file: 'qca_status qca_config_set_policy_file(qca_config *config, const char *toml_path)',
    qca_config_set_audit_log: 'qca_status qca_config_set_audit_log(qca_config *config, const char *path)',
    qca_config_free: 'void qca_config_free(qca_config *config)',

    qca_session_new:
        'qca_status qca_session_new(const qca_config *config, _Out_ qca_session **out, _Out_ qca_error **error_out)',
    qca_session_login:
        'qca_status qca_session_login(qca_session *session, _Out_ qca_owned_string *summary_json_out, _Out_ qca_error **error_out)',
    qca_session_bearer_token:
        'qca_status qca_session_bearer_token(qca_session *session, char *buffer, size_t buffer_len, _Out_ size_t *needed_out, _Out_ qca_error **error_out)',
    qca_session_verify: 'qca_status qca_session_verify(qca_session *session, _Out_ qca_error **error_out)',
    qca_session_check:
        'qca_status qca_session_check(qca_session *session, _Out_ qca_owned_string *report_json_out, _Out_ qca_error **error_out)',
    qca_session_free: 'void qca_session_free(qca_session *session)',

    qca_inspect_token:
        'qca_status qca_inspect_token(const uint8_t *token, size_t len, _Out_ qca_owned_string *report_json_out, _Out_ qca_error **error_out)',
    qca_mask_forms:
        'qca_status qca_mask_forms(const uint8_t *secret, size_t len, const char *username_or_null, _Out_ qca_owned_string *json_array_out)',

    qca_registry_login:
        'qca_status qca_registry_login(const qca_config *config, const char *registry, const char *username, const uint8_t *password, size_t password_len, const char *docker_config_dir, _Out_ qca_owned_string *report_json_out, _Out_ qca_error **error_out)',
    qca_registry_logout:
        'qca_status qca_registry_logout(const qca_config *config, const char *registry, const char *docker_config_dir, _Out_ qca_owned_string *report_json_out, _Out_ qca_error **error_out)',

    qca_error_code: 'uint32_t qca_error_code(const qca_error *error)',
    qca_error_message: 'const char *qca_error_message(const qca_error *error)',
    qca_error_free: 'void qca_error_free(qca_error *error)',
} as const;

/** The name of every bound function. */
export type QcaFunctionName = keyof typeof PROTOTYPES;
