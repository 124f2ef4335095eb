/*
 * Tests of the C interface (include/qualys_ci_auth.h) against a running
 * gateway simulator: both authentication flows, every error path of the
 * boundary, a too-small buffer and eight threads sharing one session. The
 * newer functions are tested too: proxies, the token policy check with its
 * audit log, and registry login and logout against a real registry.
 *
 * scripts/test.d/20-c-abi.sh starts the simulator, prepares users, tokens
 * and faults through its control API, and passes them in these variables:
 *
 *   QCA_TEST_GATEWAY_URL    the simulator's https URL
 *   QCA_TEST_CA_FILE        its CA certificate, PEM
 *   QCA_TEST_VERSION        the crate version that qca_version must return
 *   QCA_TEST_USERNAME       a user with the CS module, and its password
 *   QCA_TEST_PASSWORD         (a canary: it must never appear in any output)
 *   QCA_TEST_TOKEN          JWT with CS, subject "c-abi-scanner"
 *   QCA_TEST_OPAQUE_TOKEN   opaque token with CS
 *   QCA_TEST_OPAQUE_NO_CS   opaque token without CS
 *   QCA_TEST_TOKEN_NO_CS    JWT without CS
 *   QCA_TEST_TOKEN_EXPIRED  JWT whose exp lies in the past
 *   QCA_TEST_TOKEN_REVOKED  JWT with CS, revoked
 *
 *   QCA_TEST_TOKEN_80_DAYS  JWT with CS whose iat lies 80 days back (valid for a year)
 *   QCA_TEST_TOKEN_100_DAYS JWT with CS whose iat lies 100 days back (valid for a year)
 *   QCA_TEST_TMPDIR         an empty directory for this run's files
 *   QUALYS_AUDIT_LOG        the default audit log of this run, in QCA_TEST_TMPDIR
 *   QCA_TEST_PROXY_URL      tinyproxy without authentication, and its log file
 *   QCA_TEST_PROXY_LOG        (LogLevel Connect: one line per CONNECT request)
 *   QCA_TEST_AUTH_PROXY_URL tinyproxy with Basic authentication, and its log file
 *   QCA_TEST_AUTH_PROXY_LOG
 *   QCA_TEST_PROXY_USERNAME the authenticating proxy's user and password
 *   QCA_TEST_PROXY_PASSWORD   (a canary)
 *   QCA_TEST_REGISTRY       a docker-registry as host:port, TLS with a certificate
 *                           from the simulator's CA, htpasswd Basic authentication
 *   QCA_TEST_REGISTRY_USERNAME, QCA_TEST_REGISTRY_PASSWORD (a canary) its user
 *   QCA_TEST_REGISTRY_AUTH  the base64 of "user:password", as config.json holds it
 *
 * and it queues these faults on paths that only this program calls:
 * "/fault-429" (429 twice), "/fault-500" (500 once), "/fault-delay" (3 s
 * delay once) and "/fault-slow" (3 s delay once).
 *
 * Prints one line per failed check and a summary line; exits 1 on any
 * failure.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "qualys_ci_auth.h"

#define THREADS 8
#define ROUNDS_PER_THREAD 4
#define TOKEN_BUFFER 8192

static int checks;
static int failures;

static const char *gateway_url;
static char *ca_pem;
static size_t ca_pem_len;

/* Values that must never appear in a message, summary or report. */
static const char *secrets[16];
static size_t secret_count;

/* ---- checks ------------------------------------------------------------ */

static void check(bool ok, const char *format, ...) {
  checks++;
  if (ok) {
    return;
  }
  failures++;
  va_list arguments;
  va_start(arguments, format);
  fputs("not ok: ", stdout);
  vprintf(format, arguments);
  fputc('\n', stdout);
  va_end(arguments);
}

static const char *status_name(uint32_t status) {
  switch (status) {
  case QCA_OK: return "QCA_OK";
  case QCA_INVALID_ARGUMENT: return "QCA_INVALID_ARGUMENT";
  case QCA_CREDENTIAL_NOT_ALLOWED: return "QCA_CREDENTIAL_NOT_ALLOWED";
  case QCA_MISSING_CREDENTIAL: return "QCA_MISSING_CREDENTIAL";
  case QCA_AUTHENTICATION_FAILED: return "QCA_AUTHENTICATION_FAILED";
  case QCA_TOKEN_REJECTED: return "QCA_TOKEN_REJECTED";
  case QCA_TOKEN_EXPIRED: return "QCA_TOKEN_EXPIRED";
  case QCA_PERMISSION_DENIED: return "QCA_PERMISSION_DENIED";
  case QCA_REGISTRY_REJECTED: return "QCA_REGISTRY_REJECTED";
  case QCA_API_ERROR: return "QCA_API_ERROR";
  case QCA_RATE_LIMITED: return "QCA_RATE_LIMITED";
  case QCA_NETWORK_ERROR: return "QCA_NETWORK_ERROR";
  case QCA_TLS_ERROR: return "QCA_TLS_ERROR";
  case QCA_TIMEOUT: return "QCA_TIMEOUT";
  case QCA_IO: return "QCA_IO";
  case QCA_CONFIG_MALFORMED: return "QCA_CONFIG_MALFORMED";
  case QCA_CREDENTIAL_HELPER_FAILED: return "QCA_CREDENTIAL_HELPER_FAILED";
  case QCA_INTERNAL: return "QCA_INTERNAL";
  case QCA_POLICY_FAILED: return "QCA_POLICY_FAILED";
  case QCA_NULL_ARGUMENT: return "QCA_NULL_ARGUMENT";
  case QCA_INVALID_UTF8: return "QCA_INVALID_UTF8";
  case QCA_INPUT_TOO_LARGE: return "QCA_INPUT_TOO_LARGE";
  case QCA_BUFFER_TOO_SMALL: return "QCA_BUFFER_TOO_SMALL";
  case QCA_INVALID_HANDLE: return "QCA_INVALID_HANDLE";
  case QCA_PANIC: return "QCA_PANIC";
  default: return "(unknown status)";
  }
}

static void check_status(qca_status got, qca_status expected, const char *what) {
  check(got == expected, "%s: expected %s, got %s", what, status_name(expected),
        status_name(got));
}

static void check_no_secret(const char *text, const char *what) {
  if (text == NULL) {
    return;
  }
  for (size_t i = 0; i < secret_count; i++) {
    check(strstr(text, secrets[i]) == NULL, "%s contains secret number %zu", what, i);
  }
}

static void check_contains(const char *text, const char *needle, const char *what) {
  check(text != NULL && strstr(text, needle) != NULL, "%s: expected \"%s\" in: %s", what,
        needle, text ? text : "(NULL)");
}

/*
 * Checks a failed call: its status, and the error object it returned, whose
 * code must match, whose message must contain `needle` (if not NULL) and
 * no secret. Frees the error.
 */
static void check_failure(qca_status got, qca_error *error, qca_status expected,
                          const char *needle, const char *what) {
  check_status(got, expected, what);
  check(error != NULL, "%s: no error object", what);
  if (error == NULL) {
    return;
  }
  check(qca_error_code(error) == (uint32_t)expected, "%s: error code %s, status %s", what,
        status_name(qca_error_code(error)), status_name(expected));
  const char *message = qca_error_message(error);
  check(message != NULL && message[0] != '\0', "%s: empty error message", what);
  if (needle != NULL) {
    check_contains(message, needle, what);
  }
  check_no_secret(message, what);
  qca_error_free(error);
}

/* ---- set-up helpers ------------------------------------------------------ */

static const char *env(const char *name) {
  const char *value = getenv(name);
  if (value == NULL || value[0] == '\0') {
    fprintf(stderr, "qca_test: the environment variable %s is not set\n", name);
    exit(2);
  }
  return value;
}

static char *read_file(const char *path, size_t *len) {
  FILE *file = fopen(path, "rb");
  if (file == NULL) {
    fprintf(stderr, "qca_test: failed to open %s\n", path);
    exit(2);
  }
  char *data = malloc(1 << 20);
  if (data == NULL) {
    exit(2);
  }
  *len = fread(data, 1, (1 << 20) - 1, file);
  data[*len] = '\0';
  fclose(file);
  return data;
}

static char *join(const char *first, const char *second) {
  size_t len = strlen(first) + strlen(second) + 1;
  char *joined = malloc(len);
  if (joined == NULL) {
    exit(2);
  }
  snprintf(joined, len, "%s%s", first, second);
  return joined;
}

static void sleep_ms(long millis) {
  struct timespec pause = {millis / 1000, (millis % 1000) * 1000000L};
  nanosleep(&pause, NULL);
}

/* Returns a loopback port that nothing listens on: bound, then released. */
static int closed_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address;
  memset(&address, 0, sizeof address);
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof address;
  if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) != 0 ||
      getsockname(fd, (struct sockaddr *)&address, &len) != 0) {
    fprintf(stderr, "qca_test: failed to find a free port\n");
    exit(2);
  }
  close(fd);
  return ntohs(address.sin_port);
}

/* A config for `url` that trusts the simulator's CA, with short timeouts. */
static qca_config *config_for(const char *url) {
  qca_config *config = NULL;
  if (qca_config_new(&config) != QCA_OK ||
      qca_config_set_gateway_url(config, url) != QCA_OK ||
      qca_config_set_ca_pem(config, (const uint8_t *)ca_pem, ca_pem_len) != QCA_OK ||
      qca_config_set_timeouts(config, 5000, 20000, 3) != QCA_OK) {
    fprintf(stderr, "qca_test: failed to build a config\n");
    exit(2);
  }
  return config;
}

static qca_config *token_config(const char *url, const char *token) {
  qca_config *config = config_for(url);
  check_status(qca_config_set_api_token(config, (const uint8_t *)token, strlen(token)),
               QCA_OK, "set the API token");
  return config;
}

static qca_config *password_config(const char *username, const char *password) {
  qca_config *config = config_for(gateway_url);
  check_status(qca_config_set_platform(config, "jenkins"), QCA_OK, "set platform jenkins");
  check_status(qca_config_set_username_password(config, username, (const uint8_t *)password,
                                                strlen(password)),
               QCA_OK, "set user name and password");
  return config;
}

/* Creates a session or fails the check `what`; returns NULL then. */
static qca_session *new_session(qca_config *config, const char *what) {
  qca_session *session = NULL;
  qca_error *error = NULL;
  qca_status status = qca_session_new(config, &session, &error);
  check(status == QCA_OK, "%s: qca_session_new returned %s: %s", what, status_name(status),
        error ? qca_error_message(error) : "");
  qca_error_free(error);
  qca_config_free(config);
  return session;
}

/* Runs qca_session_new on `config`, frees it, and checks the failure. */
static void check_session_new_fails(qca_config *config, qca_status expected, const char *needle,
                                    const char *what) {
  qca_session *session = NULL;
  qca_error *error = NULL;
  qca_status status = qca_session_new(config, &session, &error);
  check_failure(status, error, expected, needle, what);
  check(session == NULL, "%s: *out was written on failure", what);
  qca_session_free(session);
  qca_config_free(config);
}

/* Runs qca_session_login on a new session of `config` and checks the failure. */
static void check_login_fails(qca_config *config, qca_status expected, const char *needle,
                              const char *what) {
  qca_session *session = new_session(config, what);
  if (session == NULL) {
    return;
  }
  char *summary = NULL;
  qca_error *error = NULL;
  qca_status status = qca_session_login(session, &summary, &error);
  check_failure(status, error, expected, needle, what);
  check(summary == NULL, "%s: *summary_json_out was written on failure", what);
  qca_string_free(summary);
  qca_session_free(session);
}

/* Logs in and returns the summary JSON (free with qca_string_free), or NULL. */
static char *login(qca_session *session, const char *what) {
  char *summary = NULL;
  qca_error *error = NULL;
  qca_status status = qca_session_login(session, &summary, &error);
  check(status == QCA_OK, "%s: qca_session_login returned %s: %s", what, status_name(status),
        error ? qca_error_message(error) : "");
  qca_error_free(error);
  check_no_secret(summary, what);
  return summary;
}

/* ---- tests ----------------------------------------------------------------- */

static void test_version(void) {
  const char *version = qca_version();
  check(version != NULL && strcmp(version, env("QCA_TEST_VERSION")) == 0,
        "qca_version returned %s", version ? version : "(NULL)");
}

/* Every exported function with NULL for each required pointer argument. */
static void test_null_arguments(void) {
  qca_config *config = NULL;
  qca_session *session = NULL;
  qca_error *error = NULL;
  char *text = NULL;
  size_t needed = 0;
  char buffer[16];
  const uint8_t bytes[] = "abc";

  check_status(qca_config_new(NULL), QCA_NULL_ARGUMENT, "qca_config_new(NULL)");
  check_status(qca_config_set_pod(NULL, "US1"), QCA_NULL_ARGUMENT, "set_pod config NULL");
  check_status(qca_config_set_gateway_url(NULL, "https://x"), QCA_NULL_ARGUMENT,
               "set_gateway_url config NULL");
  check_status(qca_config_set_allow_insecure_loopback(NULL, true), QCA_NULL_ARGUMENT,
               "set_allow_insecure_loopback config NULL");
  check_status(qca_config_set_ca_pem(NULL, bytes, 3), QCA_NULL_ARGUMENT,
               "set_ca_pem config NULL");
  check_status(qca_config_set_platform(NULL, "jenkins"), QCA_NULL_ARGUMENT,
               "set_platform config NULL");
  check_status(qca_config_set_backend(NULL, "qscanner"), QCA_NULL_ARGUMENT,
               "set_backend config NULL");
  check_status(qca_config_set_timeouts(NULL, 1, 1, 1), QCA_NULL_ARGUMENT,
               "set_timeouts config NULL");
  check_status(qca_config_set_api_token(NULL, bytes, 3), QCA_NULL_ARGUMENT,
               "set_api_token config NULL");
  check_status(qca_config_set_username_password(NULL, "u", bytes, 3), QCA_NULL_ARGUMENT,
               "set_username_password config NULL");

  check_status(qca_config_new(&config), QCA_OK, "qca_config_new");
  check_status(qca_config_set_pod(config, NULL), QCA_NULL_ARGUMENT, "set_pod pod NULL");
  check_status(qca_config_set_gateway_url(config, NULL), QCA_NULL_ARGUMENT,
               "set_gateway_url url NULL");
  check_status(qca_config_set_ca_pem(config, NULL, 0), QCA_NULL_ARGUMENT,
               "set_ca_pem pem NULL");
  check_status(qca_config_set_platform(config, NULL), QCA_NULL_ARGUMENT,
               "set_platform platform NULL");
  check_status(qca_config_set_backend(config, NULL), QCA_NULL_ARGUMENT,
               "set_backend backend NULL");
  check_status(qca_config_set_api_token(config, NULL, 0), QCA_NULL_ARGUMENT,
               "set_api_token token NULL");
  check_status(qca_config_set_username_password(config, NULL, bytes, 3), QCA_NULL_ARGUMENT,
               "set_username_password username NULL");
  check_status(qca_config_set_username_password(config, "u", NULL, 0), QCA_NULL_ARGUMENT,
               "set_username_password password NULL");

  qca_status status = qca_session_new(NULL, &session, &error);
  check_failure(status, error, QCA_NULL_ARGUMENT, "qca_session_new: the argument 'config' is NULL",
                "session_new config NULL");
  error = NULL;
  status = qca_session_new(config, NULL, &error);
  check_failure(status, error, QCA_NULL_ARGUMENT, "'out'", "session_new out NULL");
  check_status(qca_session_new(NULL, NULL, NULL), QCA_NULL_ARGUMENT, "session_new all NULL");
  check(session == NULL, "session_new wrote *out on failure");

  error = NULL;
  status = qca_session_login(NULL, &text, &error);
  check_failure(status, error, QCA_NULL_ARGUMENT, "'session'", "login session NULL");
  check_status(qca_session_login(NULL, NULL, NULL), QCA_NULL_ARGUMENT, "login all NULL");
  error = NULL;
  status = qca_session_bearer_token(NULL, buffer, sizeof buffer, &needed, &error);
  check_failure(status, error, QCA_NULL_ARGUMENT, "'session'", "bearer_token session NULL");
  check_status(qca_session_bearer_token(NULL, NULL, 0, NULL, NULL), QCA_NULL_ARGUMENT,
               "bearer_token all NULL");
  check_status(qca_session_verify(NULL, NULL), QCA_NULL_ARGUMENT, "verify session NULL");
  check(text == NULL && needed == 0, "out-parameters written on NULL-argument failures");

  error = NULL;
  status = qca_inspect_token(NULL, 0, &text, &error);
  check_failure(status, error, QCA_NULL_ARGUMENT, "'token'", "inspect token NULL");
  check_status(qca_inspect_token(bytes, 3, NULL, NULL), QCA_NULL_ARGUMENT,
               "inspect report_json_out NULL");
  check_status(qca_mask_forms(NULL, 0, NULL, &text), QCA_NULL_ARGUMENT, "mask_forms secret NULL");
  check_status(qca_mask_forms(bytes, 3, NULL, NULL), QCA_NULL_ARGUMENT,
               "mask_forms json_array_out NULL");

  check(qca_error_code(NULL) == QCA_NULL_ARGUMENT, "qca_error_code(NULL)");
  check(qca_error_message(NULL) == NULL, "qca_error_message(NULL) is not NULL");
  qca_error_free(NULL);
  qca_string_free(NULL);
  qca_session_free(NULL);
  qca_config_free(NULL);
  qca_config_free(config);
}

static void test_invalid_input(void) {
  qca_config *config = NULL;
  qca_error *error = NULL;
  char *text = NULL;
  const uint8_t invalid[] = {'a', 0xc3, 0x28, 'b'};

  check_status(qca_config_new(&config), QCA_OK, "qca_config_new");
  check_status(qca_config_set_pod(config, "\xff" "US1"), QCA_INVALID_UTF8, "set_pod UTF-8");
  check_status(qca_config_set_gateway_url(config, "https://\xfe"), QCA_INVALID_UTF8,
               "set_gateway_url UTF-8");
  check_status(qca_config_set_platform(config, "jenk\xc0ns"), QCA_INVALID_UTF8,
               "set_platform UTF-8");
  check_status(qca_config_set_backend(config, "\x80"), QCA_INVALID_UTF8, "set_backend UTF-8");
  check_status(qca_config_set_ca_pem(config, invalid, sizeof invalid), QCA_INVALID_UTF8,
               "set_ca_pem UTF-8");
  check_status(qca_config_set_api_token(config, invalid, sizeof invalid), QCA_INVALID_UTF8,
               "set_api_token UTF-8");
  check_status(qca_config_set_username_password(config, "\xff", (const uint8_t *)"pw", 2),
               QCA_INVALID_UTF8, "set_username_password username UTF-8");
  check_status(qca_config_set_username_password(config, "user", invalid, sizeof invalid),
               QCA_INVALID_UTF8, "set_username_password password UTF-8");
  qca_status status = qca_inspect_token(invalid, sizeof invalid, &text, &error);
  check_failure(status, error, QCA_INVALID_UTF8, "offset 1", "inspect UTF-8");
  check_status(qca_mask_forms(invalid, sizeof invalid, NULL, &text), QCA_INVALID_UTF8,
               "mask_forms UTF-8");
  check_status(qca_mask_forms((const uint8_t *)"secret", 6, "\xff", &text), QCA_INVALID_UTF8,
               "mask_forms username UTF-8");

  /* A string of exactly QCA_MAX_STRING_LEN bytes fits; one more does not. */
  char *longest = malloc(QCA_MAX_STRING_LEN + 2);
  memset(longest, 'a', QCA_MAX_STRING_LEN + 1);
  longest[QCA_MAX_STRING_LEN] = '\0';
  check_status(qca_config_set_pod(config, longest), QCA_OK, "set_pod of the maximum length");
  longest[QCA_MAX_STRING_LEN] = 'a';
  longest[QCA_MAX_STRING_LEN + 1] = '\0';
  check_status(qca_config_set_pod(config, longest), QCA_INPUT_TOO_LARGE, "set_pod too long");
  check_status(qca_config_set_username_password(config, longest, (const uint8_t *)"pw", 2),
               QCA_INPUT_TOO_LARGE, "set_username_password username too long");
  free(longest);

  size_t huge_len = QCA_MAX_PEM_LEN + 1;
  uint8_t *huge = calloc(huge_len, 1);
  check_status(qca_config_set_api_token(config, huge, QCA_MAX_SECRET_LEN + 1),
               QCA_INPUT_TOO_LARGE, "set_api_token too long");
  check_status(qca_config_set_username_password(config, "user", huge, QCA_MAX_SECRET_LEN + 1),
               QCA_INPUT_TOO_LARGE, "set_username_password password too long");
  check_status(qca_config_set_ca_pem(config, huge, huge_len), QCA_INPUT_TOO_LARGE,
               "set_ca_pem too long");
  error = NULL;
  status = qca_inspect_token(huge, QCA_MAX_SECRET_LEN + 1, &text, &error);
  check_failure(status, error, QCA_INPUT_TOO_LARGE, NULL, "inspect too long");
  check_status(qca_mask_forms(huge, QCA_MAX_SECRET_LEN + 1, NULL, &text), QCA_INPUT_TOO_LARGE,
               "mask_forms too long");
  free(huge);
  check(text == NULL, "a report was returned for invalid input");
  qca_config_free(config);
}

/* Freed, foreign and mistyped handles are reported, never dereferenced. */
static void test_invalid_handles(void) {
  qca_config *config = token_config(gateway_url, env("QCA_TEST_TOKEN"));
  qca_session *session = NULL;
  qca_error *error = NULL;
  check_status(qca_session_new(config, &session, &error), QCA_OK, "session for handle tests");

  /* A config cast to a session, and an error cast to a config. */
  char *text = NULL;
  qca_status status = qca_session_login((qca_session *)config, &text, &error);
  check_failure(status, error, QCA_INVALID_HANDLE, "not a live handle", "config as session");
  error = NULL;
  status = qca_session_verify((qca_session *)config, &error);
  qca_error *held = error;
  check_status(qca_config_set_pod((qca_config *)held, "US1"), QCA_INVALID_HANDLE,
               "error as config");
  check_failure(status, held, QCA_INVALID_HANDLE, NULL, "verify config as session");

  /* Pointers the library never returned: to the stack, and a small integer. */
  int on_stack = 0;
  check_status(qca_session_verify((qca_session *)&on_stack, NULL), QCA_INVALID_HANDLE,
               "stack pointer as session");
  check_status(qca_session_verify((qca_session *)(uintptr_t)0x10, NULL), QCA_INVALID_HANDLE,
               "0x10 as session");
  qca_session_free((qca_session *)&on_stack);
  qca_string_free((char *)&on_stack);
  qca_error_free((qca_error *)&on_stack);

  /* Use after free: every call reports QCA_INVALID_HANDLE; a second free is ignored. */
  qca_config_free(config);
  check_status(qca_config_set_pod(config, "US1"), QCA_INVALID_HANDLE, "config after free");
  check_status(qca_config_set_timeouts(config, 1, 1, 1), QCA_INVALID_HANDLE,
               "set_timeouts after free");
  qca_session *from_freed = NULL;
  error = NULL;
  status = qca_session_new(config, &from_freed, &error);
  check_failure(status, error, QCA_INVALID_HANDLE, "'config'", "session_new freed config");
  qca_config_free(config);

  qca_session_free(session);
  error = NULL;
  status = qca_session_login(session, &text, &error);
  check_failure(status, error, QCA_INVALID_HANDLE, "'session'", "login after free");
  char buffer[64];
  size_t needed = 0;
  check_status(qca_session_bearer_token(session, buffer, sizeof buffer, &needed, NULL),
               QCA_INVALID_HANDLE, "bearer_token after free");
  check_status(qca_session_verify(session, NULL), QCA_INVALID_HANDLE, "verify after free");
  qca_session_free(session);
  check(text == NULL && from_freed == NULL, "out-parameters written for a freed handle");

  /* A freed error and a freed string. */
  qca_config *empty = NULL;
  check_status(qca_config_new(&empty), QCA_OK, "qca_config_new");
  error = NULL;
  check_status(qca_session_new(empty, &from_freed, &error), QCA_INVALID_ARGUMENT,
               "session_new without gateway");
  qca_error_free(error);
  check(qca_error_code(error) == QCA_INVALID_HANDLE, "qca_error_code after free");
  check(qca_error_message(error) == NULL, "qca_error_message after free is not NULL");
  qca_error_free(error);
  qca_config_free(empty);

  check_status(qca_mask_forms((const uint8_t *)"freed-string", 12, NULL, &text), QCA_OK,
               "mask_forms");
  qca_string_free(text);
  qca_string_free(text);
}

struct worker {
  qca_session *session;
  pthread_barrier_t *start;
  int failures;
  char token[TOKEN_BUFFER];
};

static void *run_worker(void *argument) {
  struct worker *worker = argument;
  pthread_barrier_wait(worker->start);
  for (int round = 0; round < ROUNDS_PER_THREAD; round++) {
    char buffer[TOKEN_BUFFER];
    size_t needed = 0;
    qca_error *error = NULL;
    qca_status status =
        qca_session_bearer_token(worker->session, buffer, sizeof buffer, &needed, &error);
    if (status != QCA_OK) {
      fprintf(stdout, "not ok: thread bearer_token: %s: %s\n", status_name(status),
              qca_error_message(error));
      qca_error_free(error);
      worker->failures++;
      continue;
    }
    if (round == 0) {
      memcpy(worker->token, buffer, needed);
    } else if (strcmp(worker->token, buffer) != 0) {
      fprintf(stdout, "not ok: a thread got two different tokens\n");
      worker->failures++;
    }
    memset(buffer, 0, sizeof buffer);

    char *summary = NULL;
    status = qca_session_login(worker->session, &summary, &error);
    if (status != QCA_OK || strstr(summary, "\"verified\":true") == NULL) {
      fprintf(stdout, "not ok: thread login: %s\n", status_name(status));
      qca_error_free(error);
      worker->failures++;
    }
    qca_string_free(summary);
    if (qca_session_verify(worker->session, NULL) != QCA_OK) {
      fprintf(stdout, "not ok: thread verify\n");
      worker->failures++;
    }
  }
  return NULL;
}

/*
 * Eight threads share one password session on a cold cache: every call
 * succeeds and every thread gets the same JWT. The script checks that the
 * simulator counted one successful POST /auth for this user.
 */
static void test_threads_share_session(void) {
  const char *username = env("QCA_TEST_USERNAME");
  qca_session *session =
      new_session(password_config(username, env("QCA_TEST_PASSWORD")), "threads session");
  if (session == NULL) {
    return;
  }
  static struct worker workers[THREADS];
  pthread_t threads[THREADS];
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, THREADS);
  for (int i = 0; i < THREADS; i++) {
    workers[i].session = session;
    workers[i].start = &start;
    workers[i].failures = 0;
    workers[i].token[0] = '\0';
    check(pthread_create(&threads[i], NULL, run_worker, &workers[i]) == 0, "pthread_create");
  }
  for (int i = 0; i < THREADS; i++) {
    pthread_join(threads[i], NULL);
  }
  pthread_barrier_destroy(&start);

  for (int i = 0; i < THREADS; i++) {
    check(workers[i].failures == 0, "thread %d had %d failures", i, workers[i].failures);
    check(strcmp(workers[i].token, workers[0].token) == 0, "thread %d got another JWT", i);
  }
  /* A JWT has three dot-separated parts. */
  const char *dot = strchr(workers[0].token, '.');
  check(dot != NULL && strchr(dot + 1, '.') != NULL, "the bearer token is not a JWT");
  for (int i = 0; i < THREADS; i++) {
    memset(workers[i].token, 0, sizeof workers[i].token);
  }
  qca_session_free(session);
}

static void test_password_flow(void) {
  const char *username = env("QCA_TEST_USERNAME");
  const char *password = env("QCA_TEST_PASSWORD");

  qca_session *first = new_session(password_config(username, password), "password session");
  qca_session *second = new_session(password_config(username, password), "second session");
  if (first == NULL || second == NULL) {
    return;
  }
  char *summary = login(first, "password login");
  check_contains(summary, "\"backend\":\"cicd-sensor\"", "password summary");
  check_contains(summary, "\"platform\":\"jenkins\"", "password summary");
  check_contains(summary, "\"credential\":\"username-password\"", "password summary");
  check_contains(summary, "\"user\":\"c-abi-user\"", "password summary");
  check_contains(summary, "\"token_kind\":\"jwt\"", "password summary");
  check_contains(summary, "\"verified\":true", "password summary");
  check_contains(summary, "\"scopes\":[\"CS\"]", "password summary");
  qca_string_free(summary);

  /* Two handles with one credential share the process-wide JWT cache. */
  char token_first[TOKEN_BUFFER];
  char token_second[TOKEN_BUFFER];
  size_t needed = 0;
  check_status(qca_session_bearer_token(first, token_first, sizeof token_first, &needed, NULL),
               QCA_OK, "bearer token of the first session");
  check_status(qca_session_bearer_token(second, token_second, sizeof token_second, &needed, NULL),
               QCA_OK, "bearer token of the second session");
  check(strcmp(token_first, token_second) == 0, "two sessions got different JWTs");
  check(strstr(token_first, password) == NULL, "the JWT contains the password");
  memset(token_first, 0, sizeof token_first);
  memset(token_second, 0, sizeof token_second);
  qca_session_free(first);
  qca_session_free(second);

  /* A wrong password: 401, not retried, and remembered for a second session. */
  for (int attempt = 0; attempt < 2; attempt++) {
    check_login_fails(password_config(username, "CANARY-wrong-pw-5d1c"),
                      QCA_AUTHENTICATION_FAILED, "rejected the user name or password",
                      "wrong password");
  }
  /* A user without Container Security gets a JWT that the gateway refuses. */
  check_login_fails(password_config("no-cs-user", "no-cs-password"), QCA_PERMISSION_DENIED,
                    "Container Security", "user without CS");
  /* A password is allowed on Jenkins only. */
  qca_config *config = password_config(username, password);
  check_status(qca_config_set_platform(config, "github-actions"), QCA_OK, "set platform");
  check_session_new_fails(config, QCA_CREDENTIAL_NOT_ALLOWED, "only on Jenkins",
                          "password on GitHub Actions");
}

static void test_token_flow(void) {
  const char *token = env("QCA_TEST_TOKEN");
  size_t token_len = strlen(token);

  /* The library copies the token: the caller's buffer is read, never written,
     and wiping it right after the call does not affect the session. */
  char *caller_copy = malloc(token_len + 1);
  memcpy(caller_copy, token, token_len + 1);
  qca_config *config = config_for(gateway_url);
  check_status(qca_config_set_api_token(config, (const uint8_t *)caller_copy, token_len), QCA_OK,
               "set the API token");
  check(memcmp(caller_copy, token, token_len + 1) == 0, "the caller's token buffer changed");
  memset(caller_copy, 0, token_len);
  free(caller_copy);
  check_status(qca_config_set_platform(config, "azure-devops"), QCA_OK, "set platform");
  qca_session *session = new_session(config, "token session");
  if (session == NULL) {
    return;
  }

  char *summary = login(session, "token login");
  check_contains(summary, "\"schema_version\":1", "token summary");
  check_contains(summary, "\"backend\":\"qscanner\"", "token summary");
  check_contains(summary, "\"platform\":\"azure-devops\"", "token summary");
  check_contains(summary, "\"credential\":\"api-token\"", "token summary");
  check_contains(summary, "\"user\":\"c-abi-scanner\"", "token summary");
  check_contains(summary, "\"verified\":true", "token summary");
  check_contains(summary, "\"pod\":null", "token summary");
  check_status(qca_session_verify(session, NULL), QCA_OK, "verify");

  /* Size query, too-small buffer, exact buffer. */
  size_t needed = 0;
  qca_error *error = NULL;
  qca_status status = qca_session_bearer_token(session, NULL, 0, &needed, &error);
  check_failure(status, error, QCA_BUFFER_TOO_SMALL, "needs", "size query");
  check(needed == token_len + 1, "size query: needed %zu, expected %zu", needed, token_len + 1);

  char small[8];
  memset(small, 'x', sizeof small);
  error = NULL;
  needed = 0;
  status = qca_session_bearer_token(session, small, sizeof small, &needed, &error);
  check_failure(status, error, QCA_BUFFER_TOO_SMALL, "buffer holds 8 bytes", "small buffer");
  check(needed == token_len + 1, "small buffer: needed %zu", needed);
  bool untouched = true;
  for (size_t i = 0; i < sizeof small; i++) {
    untouched = untouched && small[i] == 'x';
  }
  check(untouched, "a too-small buffer was written to");

  char *exact = malloc(needed);
  size_t written = 0;
  check_status(qca_session_bearer_token(session, exact, needed, &written, NULL), QCA_OK,
               "exact buffer");
  check(written == needed && strcmp(exact, token) == 0, "the bearer token differs from the token");
  memset(exact, 0, needed);
  free(exact);
  check_status(qca_session_bearer_token(session, NULL, 5, &needed, NULL), QCA_NULL_ARGUMENT,
               "NULL buffer with a length");
  check_status(qca_session_bearer_token(session, small, sizeof small, NULL, NULL),
               QCA_NULL_ARGUMENT, "NULL needed_out");

  /* The fingerprint of the summary matches the offline report. */
  char *report = NULL;
  error = NULL;
  status = qca_inspect_token((const uint8_t *)token, token_len, &report, &error);
  check(status == QCA_OK, "inspect returned %s", status_name(status));
  qca_error_free(error);
  check_no_secret(report, "inspect report");
  check_contains(report, "\"token_kind\":\"jwt\"", "inspect report");
  check_contains(report, "\"user\":\"c-abi-scanner\"", "inspect report");
  check_contains(report, "\"credential_type\":\"ApiTokenCredential\"", "inspect report");
  check_contains(report, "\"expired\":false", "inspect report");
  check_contains(report, "\"container_security\":true", "inspect report");
  const char *key = "\"token_fingerprint\":\"";
  const char *fingerprint = report ? strstr(report, key) : NULL;
  if (fingerprint != NULL) {
    char value[17] = {0};
    memcpy(value, fingerprint + strlen(key), 16);
    check_contains(summary, value, "the summary's fingerprint");
  } else {
    check(false, "no fingerprint in the report");
  }
  qca_string_free(report);
  qca_string_free(summary);
  qca_session_free(session);

  /* A pasted form is cleaned up; an opaque token is valid too. */
  char *with_newline = join(token, "\r\n");
  char *pasted = join("Bearer ", with_newline);
  session = new_session(token_config(gateway_url, pasted), "pasted token");
  free(with_newline);
  free(pasted);
  char cleaned[TOKEN_BUFFER];
  check_status(qca_session_bearer_token(session, cleaned, sizeof cleaned, &needed, NULL), QCA_OK,
               "bearer of a pasted token");
  check(strcmp(cleaned, token) == 0, "the pasted token was not cleaned up");
  qca_session_free(session);

  session = new_session(token_config(gateway_url, env("QCA_TEST_OPAQUE_TOKEN")), "opaque token");
  summary = login(session, "opaque login");
  check_contains(summary, "\"token_kind\":\"opaque\"", "opaque summary");
  check_contains(summary, "\"expires_at\":null", "opaque summary");
  qca_string_free(summary);
  qca_session_free(session);

  report = NULL;
  const char *opaque = env("QCA_TEST_OPAQUE_TOKEN");
  check_status(qca_inspect_token((const uint8_t *)opaque, strlen(opaque), &report, NULL), QCA_OK,
               "inspect opaque");
  check_contains(report, "\"token_kind\":\"opaque\"", "opaque report");
  check_contains(report, "\"scopes\":null", "opaque report");
  qca_string_free(report);

  error = NULL;
  status = qca_inspect_token((const uint8_t *)" \r\n", 3, &report, &error);
  check_failure(status, error, QCA_MISSING_CREDENTIAL, "empty", "inspect empty");
  error = NULL;
  status = qca_inspect_token((const uint8_t *)"abc def-CANARY", 14, &report, &error);
  check_failure(status, error, QCA_INVALID_ARGUMENT, "whitespace at character 4",
                "inspect with a space");
}

static void test_mask_forms(void) {
  const char *secret = "p&ss w/rd\"$1";
  char *forms = NULL;
  check_status(qca_mask_forms((const uint8_t *)secret, strlen(secret), "alice", &forms), QCA_OK,
               "mask_forms");
  check_contains(forms, "\"p&ss w/rd\\\"$1\"", "forms: the secret, JSON-escaped");
  check_contains(forms, "\"cCZzcyB3L3JkIiQx\"", "forms: base64");
  check_contains(forms, "\"p%26ss%20w%2Frd%22%241\"", "forms: URL-encoded");
  check_contains(forms, "\"YWxpY2U6cCZzcyB3L3JkIiQx\"", "forms: base64 of user:secret");
  check(forms != NULL && forms[0] == '[', "forms: not a JSON array");
  qca_string_free(forms);

  forms = NULL;
  check_status(qca_mask_forms((const uint8_t *)"abc", 3, NULL, &forms), QCA_OK,
               "mask_forms of a short secret");
  check(forms != NULL && strcmp(forms, "[]") == 0, "forms of a short secret: %s",
        forms ? forms : "(NULL)");
  qca_string_free(forms);
}

static void test_configuration_errors(void) {
  const char *token = env("QCA_TEST_TOKEN");
  qca_config *config = NULL;

  qca_config_new(&config);
  qca_config_set_api_token(config, (const uint8_t *)token, strlen(token));
  check_session_new_fails(config, QCA_INVALID_ARGUMENT, "no Qualys platform", "no gateway");

  config = token_config(gateway_url, token);
  qca_config_set_pod(config, "US1");
  check_session_new_fails(config, QCA_INVALID_ARGUMENT, "name different gateways",
                          "POD and URL");

  qca_config_new(&config);
  qca_config_set_pod(config, "XX9");
  qca_config_set_api_token(config, (const uint8_t *)token, strlen(token));
  check_session_new_fails(config, QCA_INVALID_ARGUMENT, "unknown POD 'XX9'", "unknown POD");

  check_session_new_fails(token_config("http://gateway.example.com", token),
                          QCA_INVALID_ARGUMENT, "use https", "http URL");

  config = token_config(gateway_url, token);
  qca_config_set_platform(config, "circleci");
  check_session_new_fails(config, QCA_INVALID_ARGUMENT, "unknown platform 'circleci'",
                          "unknown platform");

  config = token_config(gateway_url, token);
  qca_config_set_backend(config, "cicd-sensor");
  check_session_new_fails(config, QCA_CREDENTIAL_NOT_ALLOWED, "cicd-sensor backend",
                          "token with the CICD Sensor");

  check_session_new_fails(config_for(gateway_url), QCA_MISSING_CREDENTIAL, "no credential",
                          "no credential");
  check_session_new_fails(token_config(gateway_url, "  \n"), QCA_MISSING_CREDENTIAL, "empty",
                          "blank token");

  config = token_config(gateway_url, token);
  qca_config_set_ca_pem(config, (const uint8_t *)"not a certificate", 17);
  check_session_new_fails(config, QCA_INVALID_ARGUMENT, "CA bundle", "CA that is not PEM");

  check_session_new_fails(token_config(gateway_url, env("QCA_TEST_TOKEN_EXPIRED")),
                          QCA_TOKEN_EXPIRED, "expired", "expired token");
  check_session_new_fails(token_config(gateway_url, env("QCA_TEST_TOKEN_NO_CS")),
                          QCA_PERMISSION_DENIED, "Container Security", "token without CS");
}

static void test_gateway_errors(void) {
  check_login_fails(token_config(gateway_url, env("QCA_TEST_TOKEN_REVOKED")), QCA_TOKEN_REJECTED,
                    "rejected the access token", "revoked token");
  check_login_fails(token_config(gateway_url, env("QCA_TEST_OPAQUE_NO_CS")),
                    QCA_PERMISSION_DENIED, "HTTP 403", "opaque token without CS");

  const char *token = env("QCA_TEST_TOKEN");
  char *url = join(gateway_url, "/fault-429");
  qca_config *config = token_config(url, token);
  qca_config_set_timeouts(config, 5000, 20000, 2);
  check_login_fails(config, QCA_RATE_LIMITED, "429", "persistent 429");
  free(url);

  url = join(gateway_url, "/fault-500");
  config = token_config(url, token);
  qca_config_set_timeouts(config, 5000, 20000, 1);
  check_login_fails(config, QCA_API_ERROR, "HTTP 500", "HTTP 500");
  free(url);

  url = join(gateway_url, "/fault-delay");
  config = token_config(url, token);
  qca_config_set_timeouts(config, 300, 20000, 1);
  check_login_fails(config, QCA_TIMEOUT, "timed out", "slow gateway");
  free(url);

  char closed[64];
  snprintf(closed, sizeof closed, "https://127.0.0.1:%d", closed_port());
  config = token_config(closed, token);
  qca_config_set_timeouts(config, 2000, 5000, 1);
  check_login_fails(config, QCA_NETWORK_ERROR, "could not reach", "closed port");

  /* Without the simulator's CA, its certificate is not trusted. */
  config = NULL;
  qca_config_new(&config);
  qca_config_set_gateway_url(config, gateway_url);
  qca_config_set_api_token(config, (const uint8_t *)token, strlen(token));
  qca_config_set_timeouts(config, 5000, 10000, 1);
  check_login_fails(config, QCA_TLS_ERROR, "TLS", "untrusted certificate");

  /* error_out may be NULL: the status alone is returned. */
  config = token_config(gateway_url, env("QCA_TEST_TOKEN_REVOKED"));
  qca_session *session = new_session(config, "revoked, no error_out");
  check_status(qca_session_verify(session, NULL), QCA_TOKEN_REJECTED, "verify without error_out");
  qca_session_free(session);
}

struct slow_call {
  qca_session *session;
  qca_status status;
};

static void *run_slow_login(void *argument) {
  struct slow_call *call = argument;
  char *summary = NULL;
  call->status = qca_session_login(call->session, &summary, NULL);
  qca_string_free(summary);
  return NULL;
}

/*
 * Freeing a session while another thread is inside a call: that call ends
 * normally (the delayed request gets the simulator's 404 for the unknown
 * path) and later calls report QCA_INVALID_HANDLE.
 */
static void test_free_during_call(void) {
  char *url = join(gateway_url, "/fault-slow");
  qca_config *config = token_config(url, env("QCA_TEST_TOKEN"));
  qca_config_set_timeouts(config, 10000, 20000, 1);
  struct slow_call call = {new_session(config, "slow session"), QCA_OK};
  free(url);
  if (call.session == NULL) {
    return;
  }
  pthread_t thread;
  check(pthread_create(&thread, NULL, run_slow_login, &call) == 0, "pthread_create");
  sleep_ms(1500);
  qca_session_free(call.session);
  check_status(qca_session_verify(call.session, NULL), QCA_INVALID_HANDLE,
               "verify after free during a call");
  pthread_join(thread, NULL);
  check_status(call.status, QCA_API_ERROR, "the call in progress during free");
}

/* ---- files ----------------------------------------------------------------- */

/* Returns the contents of `path` (free with free), or NULL when it cannot be read. */
static char *slurp(const char *path) {
  FILE *file = fopen(path, "rb");
  if (file == NULL) {
    return NULL;
  }
  size_t capacity = 4096;
  size_t len = 0;
  char *data = malloc(capacity);
  size_t got;
  while (data != NULL && (got = fread(data + len, 1, capacity - len - 1, file)) > 0) {
    len += got;
    if (capacity - len - 1 == 0) {
      capacity *= 2;
      char *larger = realloc(data, capacity);
      if (larger == NULL) {
        free(data);
      }
      data = larger;
    }
  }
  fclose(file);
  if (data != NULL) {
    data[len] = '\0';
  }
  return data;
}

/* Counts the lines of `path` that contain `needle`; 0 when it cannot be read. */
static int count_lines(const char *path, const char *needle) {
  char *text = slurp(path);
  int count = 0;
  for (char *line = text; line != NULL && *line != '\0';) {
    char *end = strchr(line, '\n');
    if (end != NULL) {
      *end = '\0';
    }
    count += strstr(line, needle) != NULL;
    line = end != NULL ? end + 1 : NULL;
  }
  free(text);
  return count;
}

/* Returns the permission bits of `path`, or -1 when it does not exist. */
static int file_mode(const char *path) {
  struct stat info;
  if (lstat(path, &info) != 0) {
    return -1;
  }
  return (int)(info.st_mode & 07777);
}

static void write_text(const char *path, const char *text) {
  FILE *file = fopen(path, "wb");
  if (file == NULL || fputs(text, file) < 0 || fclose(file) != 0) {
    fprintf(stderr, "qca_test: failed to write %s\n", path);
    exit(2);
  }
}

/* Returns QCA_TEST_TMPDIR/name (free with free). */
static char *scratch(const char *name) {
  char *dir = join(env("QCA_TEST_TMPDIR"), "/");
  char *path = join(dir, name);
  free(dir);
  return path;
}

/* Returns "CONNECT host:port " for the host and port of an https URL (free with free). */
static char *connect_line(const char *url) {
  const char *authority = strstr(url, "://");
  authority = authority != NULL ? authority + 3 : url;
  char *host = join("CONNECT ", authority);
  char *slash = strchr(host + strlen("CONNECT "), '/');
  if (slash != NULL) {
    *slash = '\0';
  }
  char *line = join(host, " ");
  free(host);
  return line;
}

/* ---- NULL, invalid UTF-8 and oversized arguments of the newer functions ---- */

static void test_new_null_arguments(void) {
  qca_config *config = NULL;
  qca_error *error = NULL;
  char *text = NULL;
  const uint8_t bytes[] = "secret";

  check_status(qca_config_set_proxy(NULL, NULL, NULL, NULL, 0, NULL), QCA_NULL_ARGUMENT,
               "set_proxy config NULL");
  check_status(qca_config_set_environment(NULL, "prod"), QCA_NULL_ARGUMENT,
               "set_environment config NULL");
  check_status(qca_config_set_policy_file(NULL, "p.toml"), QCA_NULL_ARGUMENT,
               "set_policy_file config NULL");
  check_status(qca_config_set_audit_log(NULL, "off"), QCA_NULL_ARGUMENT,
               "set_audit_log config NULL");

  check_status(qca_config_new(&config), QCA_OK, "qca_config_new");
  /* Every proxy argument is optional; all NULL means the environment's proxy. */
  check_status(qca_config_set_proxy(config, NULL, NULL, NULL, 0, NULL), QCA_OK,
               "set_proxy all NULL");
  check_status(qca_config_set_proxy(config, "http://127.0.0.1:1", "user", NULL, 6, NULL),
               QCA_NULL_ARGUMENT, "set_proxy password NULL with a length");
  check_status(qca_config_set_environment(config, NULL), QCA_NULL_ARGUMENT,
               "set_environment label NULL");
  check_status(qca_config_set_policy_file(config, NULL), QCA_NULL_ARGUMENT,
               "set_policy_file toml_path NULL");
  check_status(qca_config_set_audit_log(config, NULL), QCA_NULL_ARGUMENT,
               "set_audit_log path NULL");

  qca_status status = qca_session_check(NULL, &text, &error);
  check_failure(status, error, QCA_NULL_ARGUMENT, "qca_session_check: the argument 'session'",
                "session_check session NULL");
  error = NULL;
  status = qca_session_check(NULL, NULL, &error);
  check_failure(status, error, QCA_NULL_ARGUMENT, "'report_json_out'",
                "session_check report_json_out NULL");
  check_status(qca_session_check(NULL, NULL, NULL), QCA_NULL_ARGUMENT, "session_check all NULL");

  /* config may be NULL for the registry functions; the other pointers may not. */
  error = NULL;
  status = qca_registry_login(config, NULL, "user", bytes, 6, NULL, &text, &error);
  check_failure(status, error, QCA_NULL_ARGUMENT, "'registry'", "registry_login registry NULL");
  error = NULL;
  status = qca_registry_login(NULL, "127.0.0.1:1", NULL, bytes, 6, NULL, &text, &error);
  check_failure(status, error, QCA_NULL_ARGUMENT, "'username'", "registry_login username NULL");
  error = NULL;
  status = qca_registry_login(NULL, "127.0.0.1:1", "user", NULL, 0, NULL, &text, &error);
  check_failure(status, error, QCA_NULL_ARGUMENT, "'password'", "registry_login password NULL");
  error = NULL;
  status = qca_registry_login(config, "127.0.0.1:1", "user", bytes, 6, NULL, NULL, &error);
  check_failure(status, error, QCA_NULL_ARGUMENT, "'report_json_out'",
                "registry_login report_json_out NULL");
  check_status(qca_registry_login(NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL), QCA_NULL_ARGUMENT,
               "registry_login all NULL");
  error = NULL;
  status = qca_registry_logout(config, NULL, NULL, &text, &error);
  check_failure(status, error, QCA_NULL_ARGUMENT, "'registry'", "registry_logout registry NULL");
  error = NULL;
  status = qca_registry_logout(NULL, "127.0.0.1:1", NULL, NULL, &error);
  check_failure(status, error, QCA_NULL_ARGUMENT, "'report_json_out'",
                "registry_logout report_json_out NULL");
  check_status(qca_registry_logout(NULL, NULL, NULL, NULL, NULL), QCA_NULL_ARGUMENT,
               "registry_logout all NULL");
  check(text == NULL, "a report was returned for a NULL argument");
  qca_config_free(config);
}

static void test_new_invalid_input(void) {
  qca_config *config = NULL;
  qca_error *error = NULL;
  char *text = NULL;
  const uint8_t invalid[] = {'p', 'w', 0xc3, 0x28};
  const uint8_t password[] = "secret";
  char *docker = scratch("docker-invalid");

  check_status(qca_config_new(&config), QCA_OK, "qca_config_new");
  check_status(qca_config_set_proxy(config, "http://\xff", NULL, NULL, 0, NULL),
               QCA_INVALID_UTF8, "set_proxy url UTF-8");
  check_status(qca_config_set_proxy(config, "http://p", "\xc0", password, 6, NULL),
               QCA_INVALID_UTF8, "set_proxy username UTF-8");
  check_status(qca_config_set_proxy(config, "http://p", "u", invalid, sizeof invalid, NULL),
               QCA_INVALID_UTF8, "set_proxy password UTF-8");
  check_status(qca_config_set_proxy(config, "http://p", NULL, NULL, 0, "a,\xfe"),
               QCA_INVALID_UTF8, "set_proxy no_proxy UTF-8");
  check_status(qca_config_set_environment(config, "pr\xf0" "d"), QCA_INVALID_UTF8,
               "set_environment UTF-8");
  check_status(qca_config_set_policy_file(config, "/tmp/\x80.toml"), QCA_INVALID_UTF8,
               "set_policy_file UTF-8");
  check_status(qca_config_set_audit_log(config, "/tmp/\x80.jsonl"), QCA_INVALID_UTF8,
               "set_audit_log UTF-8");

  qca_status status =
      qca_registry_login(NULL, "127.0.0.1:\xff", "user", password, 6, docker, &text, &error);
  check_failure(status, error, QCA_INVALID_UTF8, "'registry'", "registry_login registry UTF-8");
  error = NULL;
  status = qca_registry_login(NULL, "127.0.0.1:1", "us\xe9r", password, 6, docker, &text, &error);
  check_failure(status, error, QCA_INVALID_UTF8, "'username'", "registry_login username UTF-8");
  error = NULL;
  status = qca_registry_login(NULL, "127.0.0.1:1", "user", invalid, sizeof invalid, docker, &text,
                              &error);
  check_failure(status, error, QCA_INVALID_UTF8, "'password'", "registry_login password UTF-8");
  error = NULL;
  status = qca_registry_login(NULL, "127.0.0.1:1", "user", password, 6, "/tmp/\xff", &text, &error);
  check_failure(status, error, QCA_INVALID_UTF8, "'docker_config_dir'",
                "registry_login docker_config_dir UTF-8");
  error = NULL;
  status = qca_registry_logout(NULL, "\xfe", docker, &text, &error);
  check_failure(status, error, QCA_INVALID_UTF8, "'registry'", "registry_logout registry UTF-8");
  error = NULL;
  status = qca_registry_logout(NULL, "127.0.0.1:1", "/tmp/\xff", &text, &error);
  check_failure(status, error, QCA_INVALID_UTF8, "'docker_config_dir'",
                "registry_logout docker_config_dir UTF-8");

  /* One byte more than QCA_MAX_STRING_LEN, and than QCA_MAX_SECRET_LEN. */
  char *longest = malloc(QCA_MAX_STRING_LEN + 2);
  memset(longest, 'a', QCA_MAX_STRING_LEN + 1);
  longest[QCA_MAX_STRING_LEN + 1] = '\0';
  uint8_t *huge = calloc(QCA_MAX_SECRET_LEN + 1, 1);
  memset(huge, 'a', QCA_MAX_SECRET_LEN + 1);
  check_status(qca_config_set_proxy(config, longest, NULL, NULL, 0, NULL), QCA_INPUT_TOO_LARGE,
               "set_proxy url too long");
  check_status(qca_config_set_proxy(config, "http://p", longest, password, 6, NULL),
               QCA_INPUT_TOO_LARGE, "set_proxy username too long");
  check_status(qca_config_set_proxy(config, "http://p", "u", huge, QCA_MAX_SECRET_LEN + 1, NULL),
               QCA_INPUT_TOO_LARGE, "set_proxy password too long");
  check_status(qca_config_set_proxy(config, "http://p", NULL, NULL, 0, longest),
               QCA_INPUT_TOO_LARGE, "set_proxy no_proxy too long");
  check_status(qca_config_set_environment(config, longest), QCA_INPUT_TOO_LARGE,
               "set_environment too long");
  check_status(qca_config_set_policy_file(config, longest), QCA_INPUT_TOO_LARGE,
               "set_policy_file too long");
  check_status(qca_config_set_audit_log(config, longest), QCA_INPUT_TOO_LARGE,
               "set_audit_log too long");
  error = NULL;
  status = qca_registry_login(NULL, longest, "user", password, 6, docker, &text, &error);
  check_failure(status, error, QCA_INPUT_TOO_LARGE, "'registry'", "registry_login registry too long");
  error = NULL;
  status = qca_registry_login(NULL, "127.0.0.1:1", longest, password, 6, docker, &text, &error);
  check_failure(status, error, QCA_INPUT_TOO_LARGE, "'username'", "registry_login username too long");
  error = NULL;
  status = qca_registry_login(NULL, "127.0.0.1:1", "user", huge, QCA_MAX_SECRET_LEN + 1, docker,
                              &text, &error);
  check_failure(status, error, QCA_INPUT_TOO_LARGE, "'password'", "registry_login password too long");
  error = NULL;
  status = qca_registry_login(NULL, "127.0.0.1:1", "user", password, 6, longest, &text, &error);
  check_failure(status, error, QCA_INPUT_TOO_LARGE, "'docker_config_dir'",
                "registry_login docker_config_dir too long");
  error = NULL;
  status = qca_registry_logout(NULL, longest, docker, &text, &error);
  check_failure(status, error, QCA_INPUT_TOO_LARGE, "'registry'", "registry_logout registry too long");
  error = NULL;
  status = qca_registry_logout(NULL, "127.0.0.1:1", longest, &text, &error);
  check_failure(status, error, QCA_INPUT_TOO_LARGE, "'docker_config_dir'",
                "registry_logout docker_config_dir too long");
  free(longest);
  free(huge);

  /* Values the core rejects, before anything is sent or written. */
  error = NULL;
  status = qca_registry_login(NULL, "", "user", password, 6, docker, &text, &error);
  check_failure(status, error, QCA_INVALID_ARGUMENT, "reference is empty", "registry empty");
  error = NULL;
  status = qca_registry_login(NULL, "127.0.0.1:1", "us:er", password, 6, docker, &text, &error);
  check_failure(status, error, QCA_INVALID_ARGUMENT, "contains ':'", "registry user name with ':'");
  error = NULL;
  status = qca_registry_login(NULL, "127.0.0.1:1", "user", password, 0, docker, &text, &error);
  check_failure(status, error, QCA_MISSING_CREDENTIAL, "password for user 'user' is empty",
                "registry empty password");
  error = NULL;
  status = qca_registry_login(NULL, "127.0.0.1:1", "user", (const uint8_t *)"CANARY\nx", 8, docker,
                              &text, &error);
  check_failure(status, error, QCA_INVALID_ARGUMENT, "single line", "registry two-line password");
  error = NULL;
  status = qca_registry_login(NULL, "http://127.0.0.1:1", "user", password, 6, docker, &text, &error);
  check_failure(status, error, QCA_INVALID_ARGUMENT, "plain http", "registry http without opt-in");
  error = NULL;
  status = qca_registry_login(NULL, "127.0.0.1:1", "user", password, 6, " ", &text, &error);
  check_failure(status, error, QCA_INVALID_ARGUMENT, "directory is empty", "empty docker dir");
  error = NULL;
  status = qca_registry_logout(NULL, "ftp://127.0.0.1:1", docker, &text, &error);
  check_failure(status, error, QCA_INVALID_ARGUMENT, "scheme 'ftp'", "logout ftp reference");
  check(file_mode(docker) == -1, "a rejected login created %s", docker);
  check(text == NULL, "a report was returned for invalid input");

  /* A freed config is reported, never read. */
  qca_config_free(config);
  error = NULL;
  status = qca_registry_login(config, "127.0.0.1:1", "user", password, 6, docker, &text, &error);
  check_failure(status, error, QCA_INVALID_HANDLE, "'config'", "registry_login freed config");
  check_status(qca_registry_logout(config, "127.0.0.1:1", docker, &text, NULL), QCA_INVALID_HANDLE,
               "registry_logout freed config");
  check_status(qca_config_set_proxy(config, NULL, NULL, NULL, 0, NULL), QCA_INVALID_HANDLE,
               "set_proxy freed config");
  check_status(qca_config_set_environment(config, "prod"), QCA_INVALID_HANDLE,
               "set_environment freed config");
  free(docker);
}

/* Settings that qca_session_new checks and rejects with a message. */
static void test_new_settings_rejected(void) {
  const char *token = env("QCA_TEST_TOKEN");
  qca_config *config = token_config(gateway_url, token);
  qca_config_set_proxy(config, "ftp://proxy.example.com", NULL, NULL, 0, NULL);
  check_session_new_fails(config, QCA_INVALID_ARGUMENT, "invalid proxy URL", "ftp proxy");

  config = token_config(gateway_url, token);
  qca_config_set_proxy(config, "http://127.0.0.1:1", "proxy-user", NULL, 0, NULL);
  check_session_new_fails(config, QCA_INVALID_ARGUMENT, "both a user name and a password",
                          "proxy user without password");

  config = token_config(gateway_url, token);
  qca_config_set_proxy(config, "http://127.0.0.1:1", NULL, (const uint8_t *)"CANARY-p", 8, NULL);
  check_session_new_fails(config, QCA_INVALID_ARGUMENT, "both a user name and a password",
                          "proxy password without user");

  config = token_config(gateway_url, token);
  qca_config_set_proxy(config, "NONE", "proxy-user", (const uint8_t *)"CANARY-p", 8, NULL);
  check_session_new_fails(config, QCA_INVALID_ARGUMENT, "\"none\"", "none with credentials");

  config = token_config(gateway_url, token);
  qca_config_set_proxy(config, NULL, NULL, NULL, 0, "127.0.0.1");
  check_session_new_fails(config, QCA_INVALID_ARGUMENT, "without a proxy URL",
                          "no_proxy without a URL");

  config = token_config(gateway_url, token);
  qca_config_set_environment(config, "two words");
  check_session_new_fails(config, QCA_INVALID_ARGUMENT, "environment label", "label with a space");

  char *missing = scratch("no-such-dir/policy.toml");
  config = token_config(gateway_url, token);
  qca_config_set_policy_file(config, missing);
  check_session_new_fails(config, QCA_IO, "no-such-dir/policy.toml", "missing policy file");
  free(missing);

  char *policy = scratch("bad-policy.toml");
  write_text(policy, "[rotation]\nwarn_days = 3\n");
  config = token_config(gateway_url, token);
  qca_config_set_policy_file(config, policy);
  check_session_new_fails(config, QCA_INVALID_ARGUMENT, "warn_days", "unknown policy key");
  write_text(policy, "[rotation]\nwarn_after_days = 95\n");
  config = token_config(gateway_url, token);
  qca_config_set_policy_file(config, policy);
  check_session_new_fails(config, QCA_INVALID_ARGUMENT, "greater than the failure age",
                          "warning age above failure age");
  free(policy);

  char *no_dir = scratch("no-such-dir/audit.jsonl");
  config = token_config(gateway_url, token);
  qca_config_set_audit_log(config, no_dir);
  check_session_new_fails(config, QCA_IO, "audit log", "audit log in a missing directory");
  free(no_dir);

  config = token_config(gateway_url, token);
  qca_config_set_audit_log(config, "  ");
  check_session_new_fails(config, QCA_INVALID_ARGUMENT, "audit log path is empty",
                          "blank audit log path");

  /* A symbolic link at the audit log's path is refused, never followed. */
  char *target = scratch("audit-target.jsonl");
  char *link = scratch("audit-link.jsonl");
  check(symlink(target, link) == 0, "symlink %s", link);
  config = token_config(gateway_url, token);
  qca_config_set_audit_log(config, link);
  check_session_new_fails(config, QCA_IO, "audit log", "audit log behind a symbolic link");
  check(file_mode(target) == -1, "the audit log followed a symbolic link");
  free(target);
  free(link);
}

/* ---- proxies ------------------------------------------------------------- */

/* Logs in with a new session of `config`, which it frees, and checks that the
   gateway verified the token. */
static void check_login_ok(qca_config *config, const char *what) {
  qca_session *session = new_session(config, what);
  if (session == NULL) {
    return;
  }
  char *summary = login(session, what);
  check_contains(summary, "\"verified\":true", what);
  qca_string_free(summary);
  qca_session_free(session);
}

/*
 * Sessions through tinyproxy: open and with Basic authentication, a wrong
 * proxy password, the environment's HTTPS_PROXY, "none" and a no_proxy list.
 * Each proxied login must appear in the proxy's log as a CONNECT request to
 * the simulator.
 */
static void test_proxy(void) {
  const char *token = env("QCA_TEST_TOKEN");
  const char *proxy = env("QCA_TEST_PROXY_URL");
  const char *proxy_log = env("QCA_TEST_PROXY_LOG");
  const char *auth_proxy = env("QCA_TEST_AUTH_PROXY_URL");
  const char *auth_log = env("QCA_TEST_AUTH_PROXY_LOG");
  const char *proxy_user = env("QCA_TEST_PROXY_USERNAME");
  const char *proxy_password = env("QCA_TEST_PROXY_PASSWORD");
  char *tunnel = connect_line(gateway_url);

  int before = count_lines(proxy_log, tunnel);
  qca_config *config = token_config(gateway_url, token);
  check_status(qca_config_set_proxy(config, proxy, NULL, NULL, 0, NULL), QCA_OK, "set_proxy");
  check_login_ok(config, "login through the proxy");
  check(count_lines(proxy_log, tunnel) > before, "the proxy logged no %s", tunnel);

  before = count_lines(auth_log, tunnel);
  config = token_config(gateway_url, token);
  check_status(qca_config_set_proxy(config, auth_proxy, proxy_user, (const uint8_t *)proxy_password,
                                    strlen(proxy_password), NULL),
               QCA_OK, "set_proxy with credentials");
  check_login_ok(config, "login through the authenticating proxy");
  check(count_lines(auth_log, tunnel) > before, "the authenticating proxy logged no %s", tunnel);

  config = token_config(gateway_url, token);
  qca_config_set_timeouts(config, 5000, 20000, 1);
  qca_config_set_proxy(config, auth_proxy, NULL, NULL, 0, NULL);
  check_login_fails(config, QCA_NETWORK_ERROR, "proxy", "proxy without credentials");

  config = token_config(gateway_url, token);
  qca_config_set_timeouts(config, 5000, 20000, 1);
  qca_config_set_proxy(config, auth_proxy, proxy_user, (const uint8_t *)"CANARY-wrong-proxy-pw",
                       21, NULL);
  check_login_fails(config, QCA_NETWORK_ERROR, "proxy", "wrong proxy password");

  /* The no_proxy list sends the simulator's host past the proxy. */
  before = count_lines(proxy_log, tunnel);
  config = token_config(gateway_url, token);
  qca_config_set_timeouts(config, 5003, 20000, 3);
  qca_config_set_proxy(config, proxy, NULL, NULL, 0, "localhost,127.0.0.1");
  check_login_ok(config, "login past the proxy with no_proxy");
  check(count_lines(proxy_log, tunnel) == before, "no_proxy: the proxy was used");

  /*
   * The default follows HTTPS_PROXY, and "none" ignores it. The client of a
   * session reads the variables when it is built, and sessions share one
   * client per set of settings, so each case has its own request timeout
   * and gets a new client. setenv runs between calls: the library reads the
   * variables on the calling thread while it builds a client, and this
   * program runs no other thread now.
   */
  setenv("HTTPS_PROXY", proxy, 1);
  before = count_lines(proxy_log, tunnel);
  config = token_config(gateway_url, token);
  qca_config_set_timeouts(config, 5001, 20000, 3);
  check_login_ok(config, "login through HTTPS_PROXY");
  check(count_lines(proxy_log, tunnel) > before, "HTTPS_PROXY: the proxy logged no %s", tunnel);

  before = count_lines(proxy_log, tunnel);
  config = token_config(gateway_url, token);
  qca_config_set_timeouts(config, 5002, 20000, 3);
  check_status(qca_config_set_proxy(config, "none", NULL, NULL, 0, NULL), QCA_OK,
               "set_proxy none");
  check_login_ok(config, "direct login despite HTTPS_PROXY");
  check(count_lines(proxy_log, tunnel) == before, "\"none\": the proxy was used");
  unsetenv("HTTPS_PROXY");
  free(tunnel);
}

/* ---- token policy and audit log ------------------------------------------- */

/* Runs qca_session_check on a new session of `config`; returns the report or NULL. */
static char *policy_report(qca_config *config, const char *what) {
  qca_session *session = new_session(config, what);
  if (session == NULL) {
    return NULL;
  }
  char *report = NULL;
  qca_error *error = NULL;
  qca_status status = qca_session_check(session, &report, &error);
  check(status == QCA_OK, "%s: qca_session_check returned %s: %s", what, status_name(status),
        error ? qca_error_message(error) : "");
  qca_error_free(error);
  check_no_secret(report, what);
  qca_session_free(session);
  return report;
}

static void check_policy_check_fails(qca_config *config, qca_status expected, const char *needle,
                                     const char *what) {
  qca_session *session = new_session(config, what);
  if (session == NULL) {
    return;
  }
  char *report = NULL;
  qca_error *error = NULL;
  qca_status status = qca_session_check(session, &report, &error);
  check_failure(status, error, expected, needle, what);
  check(report == NULL, "%s: *report_json_out was written on failure", what);
  qca_string_free(report);
  qca_session_free(session);
}

static qca_config *audited_config(const char *token, const char *audit, const char *label) {
  qca_config *config = token_config(gateway_url, token);
  check_status(qca_config_set_audit_log(config, audit), QCA_OK, "set_audit_log");
  if (label != NULL) {
    check_status(qca_config_set_environment(config, label), QCA_OK, "set_environment");
  }
  return config;
}

static void test_policy_check(void) {
  const char *token = env("QCA_TEST_TOKEN");
  char *audit = scratch("check-audit.jsonl");

  char *report = policy_report(audited_config(token, audit, "prod"), "check a fresh token");
  check_contains(report, "{\"schema_version\":1,\"status\":\"pass\"", "fresh token report");
  check_contains(report, "\"environment\":\"prod\"", "fresh token report");
  check_contains(report, "\"id\":\"rotation\",\"status\":\"pass\"", "fresh token rotation");
  check_contains(report, "\"id\":\"scopes\",\"status\":\"pass\"", "fresh token scopes");
  check_contains(report, "\"id\":\"expiry\",\"status\":\"pass\"", "fresh token expiry");
  check_contains(report, "\"id\":\"verification\",\"status\":\"pass\"", "fresh token verification");
  check_contains(report, "\"token_source\":null", "fresh token report");
  char fingerprint[40] = {0};
  const char *key = "\"token_fingerprint\":\"";
  const char *found = report ? strstr(report, key) : NULL;
  if (found != NULL) {
    snprintf(fingerprint, sizeof fingerprint, "%.16s", found + strlen(key));
  }
  check(strlen(fingerprint) == 16, "no fingerprint in the report");
  qca_string_free(report);

  report = policy_report(audited_config(env("QCA_TEST_TOKEN_80_DAYS"), audit, "prod"),
                         "check an 80-day token");
  check_contains(report, "{\"schema_version\":1,\"status\":\"warn\"", "80-day report");
  check_contains(report, "\"id\":\"rotation\",\"status\":\"warn\"", "80-day rotation");
  check_contains(report, "\"age_days\":80,\"age_source\":\"iat\"", "80-day age");
  qca_string_free(report);

  /* Past 90 days the check fails, yet the call succeeds with the report. */
  report = policy_report(audited_config(env("QCA_TEST_TOKEN_100_DAYS"), audit, "prod"),
                         "check a 100-day token");
  check_contains(report, "{\"schema_version\":1,\"status\":\"fail\"", "100-day report");
  check_contains(report, "\"id\":\"rotation\",\"status\":\"fail\"", "100-day rotation");
  check_contains(report, "\"age_days\":100,", "100-day age");
  check_contains(report, "\"id\":\"verification\",\"status\":\"pass\"", "100-day verification");
  qca_string_free(report);

  /* qualys-ci-auth.toml in the current directory (the script runs this program
     in QCA_TEST_TMPDIR) applies without a setting; the label setting wins. */
  char *found_policy = scratch("qualys-ci-auth.toml");
  write_text(found_policy, "environment = \"from-file\"\n[rotation]\nfail_after_days = 200\n");
  report = policy_report(audited_config(env("QCA_TEST_TOKEN_100_DAYS"), audit, NULL),
                         "check with qualys-ci-auth.toml");
  check_contains(report, "{\"schema_version\":1,\"status\":\"warn\"", "found policy report");
  check_contains(report, "\"environment\":\"from-file\"", "found policy label");
  check_contains(report, found_policy, "found policy path");
  qca_string_free(report);
  report = policy_report(audited_config(env("QCA_TEST_TOKEN_100_DAYS"), audit, "prod"),
                         "check with qualys-ci-auth.toml and a label");
  check_contains(report, "\"environment\":\"prod\"", "label over the policy file");
  qca_string_free(report);
  check(unlink(found_policy) == 0, "remove %s", found_policy);
  free(found_policy);

  /* A policy file that moves the limit turns the failure into a warning. */
  char *policy = scratch("policy.toml");
  write_text(policy, "[rotation]\nwarn_after_days = 60\nfail_after_days = 120\n");
  qca_config *config = audited_config(env("QCA_TEST_TOKEN_100_DAYS"), audit, "prod");
  check_status(qca_config_set_policy_file(config, policy), QCA_OK, "set_policy_file");
  report = policy_report(config, "check with a policy file");
  check_contains(report, "{\"schema_version\":1,\"status\":\"warn\"", "policy file report");
  check_contains(report, "\"warn_after_days\":60,\"fail_after_days\":120", "policy file limits");
  check_contains(report, policy, "policy file path");
  qca_string_free(report);
  free(policy);

  /* The audit log records the token under "prod"; using it for "dev" warns. */
  report = policy_report(audited_config(token, audit, "dev"), "check the token for dev");
  check_contains(report, "{\"schema_version\":1,\"status\":\"warn\"", "shared token report");
  check_contains(report, "\"id\":\"separate-tokens\",\"status\":\"warn\"", "shared token check");
  check_contains(report, "\"environments\":[\"DEV\",\"PROD\"],\"seen_in\":[\"audit-log\"]",
                 "shared token environments");
  qca_string_free(report);

  /* A verification failure is an error status, not a report. */
  check_policy_check_fails(audited_config(env("QCA_TEST_TOKEN_REVOKED"), audit, "prod"),
                           QCA_TOKEN_REJECTED, "rejected the access token", "check revoked");
  check_policy_check_fails(audited_config(env("QCA_TEST_OPAQUE_NO_CS"), audit, "prod"),
                           QCA_PERMISSION_DENIED, "HTTP 403", "check without CS");
  char closed[64];
  snprintf(closed, sizeof closed, "https://127.0.0.1:%d", closed_port());
  config = token_config(closed, token);
  qca_config_set_audit_log(config, audit);
  qca_config_set_timeouts(config, 2000, 5000, 1);
  check_policy_check_fails(config, QCA_NETWORK_ERROR, "could not reach", "check unreachable");

  /* The audit file: private, one line per verification, never a token. */
  check(file_mode(audit) == 0600, "audit log mode %o, expected 600", file_mode(audit));
  char *records = slurp(audit);
  check_no_secret(records, "audit log");
  check_contains(records, "\"operation\":\"verify\"", "audit log");
  check_contains(records, "\"environment\":\"prod\"", "audit log");
  check_contains(records, "\"environment\":\"dev\"", "audit log");
  check_contains(records, "\"outcome\":\"token_rejected\"", "audit log");
  check_contains(records, "\"outcome\":\"network_error\"", "audit log");
  if (fingerprint[0] != '\0') {
    check_contains(records, fingerprint, "audit log fingerprint");
  }
  check(count_lines(audit, "\"operation\":\"verify\"") == 10,
        "audit log: %d verify records, expected 10", count_lines(audit, "\"operation\":\"verify\""));
  free(records);

  /* Without a setting the log goes to QUALYS_AUDIT_LOG; "off" writes nothing. */
  const char *default_log = env("QUALYS_AUDIT_LOG");
  int lines = count_lines(default_log, "\"operation\"");
  qca_config *plain = token_config(gateway_url, token);
  qca_session *session = new_session(plain, "session with the default audit log");
  check_status(qca_session_verify(session, NULL), QCA_OK, "verify with the default audit log");
  qca_session_free(session);
  check(count_lines(default_log, "\"operation\":\"verify\"") > 0 &&
            count_lines(default_log, "\"operation\"") == lines + 1,
        "the default audit log did not get one record");
  check(file_mode(default_log) == 0600, "default audit log mode %o", file_mode(default_log));

  lines = count_lines(default_log, "\"operation\"");
  int audited = count_lines(audit, "\"operation\"");
  report = policy_report(audited_config(token, "off", "prod"), "check with the audit log off");
  check_contains(report, "(the audit log is off)", "audit off report");
  qca_string_free(report);
  check(count_lines(default_log, "\"operation\"") == lines &&
            count_lines(audit, "\"operation\"") == audited,
        "\"off\" still wrote an audit record");
  free(audit);
}

/* ---- registry login ------------------------------------------------------- */

/* Logs in as QCA_TEST_REGISTRY_USERNAME and checks the status. Returns the
   report on success (free with qca_string_free), NULL on failure. */
static char *registry_login(qca_config *config, const char *registry, const char *password,
                            const char *dir, qca_status expected, const char *needle,
                            const char *what) {
  char *report = NULL;
  qca_error *error = NULL;
  qca_status status =
      qca_registry_login(config, registry, env("QCA_TEST_REGISTRY_USERNAME"),
                         (const uint8_t *)password, strlen(password), dir, &report, &error);
  if (expected == QCA_OK) {
    check(status == QCA_OK, "%s: qca_registry_login returned %s: %s", what, status_name(status),
          error ? qca_error_message(error) : "");
    qca_error_free(error);
  } else {
    check_failure(status, error, expected, needle, what);
    check(report == NULL, "%s: *report_json_out was written on failure", what);
    qca_string_free(report);
    return NULL;
  }
  check_no_secret(report, what);
  return report;
}

/* Logs out without a config and checks the status; returns the report or NULL. */
static char *registry_logout(const char *registry, const char *dir, qca_status expected,
                             const char *what) {
  char *report = NULL;
  qca_error *error = NULL;
  qca_status status = qca_registry_logout(NULL, registry, dir, &report, &error);
  check(status == expected, "%s: qca_registry_logout returned %s: %s", what, status_name(status),
        error ? qca_error_message(error) : "");
  qca_error_free(error);
  check_no_secret(report, what);
  return report;
}

static void test_registry(void) {
  const char *registry = env("QCA_TEST_REGISTRY");
  const char *password = env("QCA_TEST_REGISTRY_PASSWORD");
  const char *auth = env("QCA_TEST_REGISTRY_AUTH");
  char *dir = scratch("docker");
  char *file = join(dir, "/config.json");
  /* The gateway settings of this config are not used; its CA and timeouts are. */
  qca_config *config = config_for(gateway_url);

  char *report = registry_login(config, registry, "CANARY-wrong-registry-pw", dir,
                                QCA_REGISTRY_REJECTED, "rejected", "registry wrong password");
  check(file_mode(file) == -1, "a rejected login wrote %s", file);

  /* Without a config only the system's trust roots apply: the CA is unknown. */
  report = registry_login(NULL, registry, password, dir, QCA_TLS_ERROR, "certificate",
                          "registry without the CA");

  report = registry_login(config, registry, password, dir, QCA_OK, NULL, "registry login");
  check_contains(report, "\"status\":\"logged-in\"", "login report");
  check_contains(report, "\"verification\":\"basic\"", "login report");
  check_contains(report, "\"stored_in\":\"config-file\"", "login report");
  check_contains(report, "\"username\":\"c-abi-registry-user\"", "login report");
  check_contains(report, "\"credential_source\":\"passed to qca_registry_login by the host\"",
                 "login report");
  check_contains(report, file, "login report config_path");
  check_no_secret(report, "login report");
  check(report == NULL || strstr(report, auth) == NULL, "the login report contains the auth value");
  qca_string_free(report);

  check(file_mode(file) == 0600, "config.json mode %o, expected 600", file_mode(file));
  check(file_mode(dir) == 0700, "Docker config directory mode %o, expected 700", file_mode(dir));
  char *stored = slurp(file);
  char *entry = join(registry, "\"");
  check_contains(stored, entry, "config.json registry key");
  check_contains(stored, auth, "config.json auth value");
  check(stored == NULL || strstr(stored, password) == NULL, "config.json contains the password");
  free(stored);

  /* An image reference names the same registry entry. */
  char *image = join(registry, "/team/app:1.0");
  report = registry_login(config, image, password, dir, QCA_OK, NULL, "registry login by image");
  check_contains(report, "\"repository\":\"team/app\"", "image login report");
  qca_string_free(report);
  free(image);

  report = registry_logout(registry, dir, QCA_OK, "registry logout");
  check_contains(report, "\"removed\":true", "logout report");
  check_contains(report, "\"removed_from_file\":true", "logout report");
  qca_string_free(report);
  stored = slurp(file);
  check(stored != NULL && strstr(stored, entry) == NULL, "logout left the entry: %s",
        stored ? stored : "(no file)");
  free(stored);
  report = registry_logout(registry, dir, QCA_OK, "second registry logout");
  check_contains(report, "\"removed\":false", "second logout report");
  qca_string_free(report);
  free(file);
  free(dir);

  /* Other registries and keys survive a login and a logout. */
  dir = scratch("docker-merge");
  file = join(dir, "/config.json");
  mkdir(dir, 0700);
  write_text(file, "{\"auths\":{\"registry.example.com\":{\"auth\":\"b3RoZXI6ZW50cnk=\"}},"
                   "\"experimental\":\"enabled\"}");
  report = registry_login(config, registry, password, dir, QCA_OK, NULL, "merge login");
  qca_string_free(report);
  stored = slurp(file);
  check_contains(stored, "\"registry.example.com\"", "merged config.json");
  check_contains(stored, "\"experimental\"", "merged config.json");
  check_contains(stored, entry, "merged config.json");
  free(stored);
  report = registry_logout(registry, dir, QCA_OK, "merge logout");
  qca_string_free(report);
  stored = slurp(file);
  check_contains(stored, "\"registry.example.com\"", "config.json after logout");
  free(stored);
  free(file);
  free(dir);

  /* Through the proxy of the config. */
  const char *proxy_log = env("QCA_TEST_PROXY_LOG");
  char *url = join("https://", registry);
  char *tunnel = connect_line(url);
  free(url);
  int before = count_lines(proxy_log, tunnel);
  qca_config *proxied = config_for(gateway_url);
  qca_config_set_proxy(proxied, env("QCA_TEST_PROXY_URL"), NULL, NULL, 0, NULL);
  dir = scratch("docker-proxy");
  report = registry_login(proxied, registry, password, dir, QCA_OK, NULL, "registry via proxy");
  qca_string_free(report);
  check(count_lines(proxy_log, tunnel) > before, "the proxy logged no %s", tunnel);
  qca_config_free(proxied);
  free(tunnel);
  free(dir);

  /* A malformed config.json is left as it is. */
  dir = scratch("docker-malformed");
  file = join(dir, "/config.json");
  mkdir(dir, 0700);
  const char *malformed = "{\"auths\": [";
  write_text(file, malformed);
  report = registry_login(config, registry, password, dir, QCA_CONFIG_MALFORMED, "config.json",
                          "malformed config.json");
  report = registry_logout(registry, dir, QCA_CONFIG_MALFORMED, "logout, malformed config.json");
  stored = slurp(file);
  check(stored != NULL && strcmp(stored, malformed) == 0, "a malformed config.json was changed");
  free(stored);
  free(file);
  free(dir);

  /* A credential helper that is not installed. */
  dir = scratch("docker-helper");
  file = join(dir, "/config.json");
  mkdir(dir, 0700);
  write_text(file, "{\"credsStore\":\"qca-test-missing\"}");
  report = registry_login(config, registry, password, dir, QCA_CREDENTIAL_HELPER_FAILED,
                          "docker-credential-qca-test-missing", "missing credential helper");
  free(file);
  free(dir);
  free(entry);
  qca_config_free(config);
}

int main(void) {
  gateway_url = env("QCA_TEST_GATEWAY_URL");
  ca_pem = read_file(env("QCA_TEST_CA_FILE"), &ca_pem_len);
  secrets[secret_count++] = env("QCA_TEST_PASSWORD");
  secrets[secret_count++] = "CANARY";
  secrets[secret_count++] = env("QCA_TEST_TOKEN");
  secrets[secret_count++] = env("QCA_TEST_OPAQUE_TOKEN");
  secrets[secret_count++] = env("QCA_TEST_TOKEN_REVOKED");
  secrets[secret_count++] = env("QCA_TEST_TOKEN_80_DAYS");
  secrets[secret_count++] = env("QCA_TEST_TOKEN_100_DAYS");
  secrets[secret_count++] = env("QCA_TEST_PROXY_PASSWORD");
  secrets[secret_count++] = env("QCA_TEST_REGISTRY_PASSWORD");
  secrets[secret_count++] = env("QCA_TEST_REGISTRY_AUTH");

  test_version();
  test_null_arguments();
  test_invalid_input();
  test_invalid_handles();
  test_threads_share_session();
  test_password_flow();
  test_token_flow();
  test_mask_forms();
  test_configuration_errors();
  test_gateway_errors();
  test_free_during_call();
  test_new_null_arguments();
  test_new_invalid_input();
  test_new_settings_rejected();
  test_proxy();
  test_policy_check();
  test_registry();

  free(ca_pem);
  printf("c-abi: %d checks, %d failed\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
