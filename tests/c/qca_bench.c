/*
 * Micro-benchmark of qca_session_bearer_token on a token that needs no
 * request: the per-call cost a C host pays each time it requests the token
 * (handle lookup, expiry check, copy into the caller's buffer). Not run in
 * CI; scripts/bench-c.sh builds it with -O2 against the release library and
 * runs it against a gateway simulator.
 *
 * Two sessions are measured:
 *   api-token  an API token (a JWT): its claims are decoded on every call
 *              to check that it has not expired since the session began
 *   password   a user name and password: the JWT from POST /auth, cached
 *
 * Input (environment):
 *   QCA_BENCH_GATEWAY_URL  the simulator's https URL
 *   QCA_BENCH_CA_FILE      its CA certificate, PEM
 *   QCA_BENCH_TOKEN        a JWT with the Container Security module
 *   QCA_BENCH_USERNAME     a user with that module, and its password
 *   QCA_BENCH_PASSWORD
 *   QCA_BENCH_CALLS        calls per run (default 1000000)
 *
 * Output: one line per session with the best and the median time per call
 * of 5 runs, in nanoseconds, measured with clock_gettime(CLOCK_MONOTONIC).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qualys_ci_auth.h"

#define RUNS 5
#define TOKEN_BUFFER 8192

static const char *env(const char *name) {
  const char *value = getenv(name);
  if (value == NULL || value[0] == '\0') {
    fprintf(stderr, "qca_bench: the environment variable %s is not set\n", name);
    exit(2);
  }
  return value;
}

static char *read_file(const char *path, size_t *len) {
  FILE *file = fopen(path, "rb");
  char *data = malloc(1 << 20);
  if (file == NULL || data == NULL) {
    fprintf(stderr, "qca_bench: failed to read %s\n", path);
    exit(2);
  }
  *len = fread(data, 1, (1 << 20) - 1, file);
  data[*len] = '\0';
  fclose(file);
  return data;
}

static void require(qca_status status, qca_error *error, const char *step) {
  if (status == QCA_OK) {
    return;
  }
  fprintf(stderr, "qca_bench: %s failed (status %u): %s\n", step, (unsigned)status,
          error != NULL ? qca_error_message(error) : "(no message)");
  qca_error_free(error);
  exit(1);
}

static double elapsed_ns(const struct timespec *start, const struct timespec *end) {
  return (double)(end->tv_sec - start->tv_sec) * 1e9 + (double)(end->tv_nsec - start->tv_nsec);
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a;
  double y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Times `calls` calls, RUNS times, and prints the best and median ns/call. */
static void measure(const char *name, qca_session *session, long calls) {
  static char buffer[TOKEN_BUFFER];
  size_t needed = 0;
  qca_error *error = NULL;
  /* The first call may fetch the token; it is not measured. */
  require(qca_session_bearer_token(session, buffer, sizeof buffer, &needed, &error), error,
          "the first bearer token");

  double per_call[RUNS];
  for (int run = 0; run < RUNS; run++) {
    struct timespec start;
    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 0; i < calls; i++) {
      if (qca_session_bearer_token(session, buffer, sizeof buffer, &needed, NULL) != QCA_OK) {
        fprintf(stderr, "qca_bench: %s: call %ld failed\n", name, i);
        exit(1);
      }
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    per_call[run] = elapsed_ns(&start, &end) / (double)calls;
  }
  memset(buffer, 0, sizeof buffer);

  qsort(per_call, RUNS, sizeof per_call[0], compare_doubles);
  printf("%-10s %ld calls x %d runs: best %.1f ns/call, median %.1f ns/call (token %zu bytes)\n",
         name, calls, RUNS, per_call[0], per_call[RUNS / 2], needed - 1);
}

static qca_config *base_config(const char *ca_pem, size_t ca_pem_len) {
  qca_config *config = NULL;
  require(qca_config_new(&config), NULL, "qca_config_new");
  require(qca_config_set_gateway_url(config, env("QCA_BENCH_GATEWAY_URL")), NULL,
          "set the gateway URL");
  require(qca_config_set_ca_pem(config, (const uint8_t *)ca_pem, ca_pem_len), NULL,
          "set the CA");
  /* The cached path never writes audit records; "off" keeps the login's record out of $HOME. */
  require(qca_config_set_audit_log(config, "off"), NULL, "switch the audit log off");
  return config;
}

/* Creates a session from `config`, frees the config, and logs in once. */
static qca_session *logged_in(qca_config *config, const char *name) {
  qca_session *session = NULL;
  qca_error *error = NULL;
  require(qca_session_new(config, &session, &error), error, name);
  qca_config_free(config);
  char *summary = NULL;
  require(qca_session_login(session, &summary, &error), error, name);
  qca_string_free(summary);
  return session;
}

int main(void) {
  size_t ca_pem_len = 0;
  char *ca_pem = read_file(env("QCA_BENCH_CA_FILE"), &ca_pem_len);
  const char *calls_text = getenv("QCA_BENCH_CALLS");
  long calls = calls_text != NULL ? strtol(calls_text, NULL, 10) : 1000000;
  if (calls <= 0) {
    fprintf(stderr, "qca_bench: QCA_BENCH_CALLS must be a positive number\n");
    return 2;
  }

  const char *token = env("QCA_BENCH_TOKEN");
  qca_config *config = base_config(ca_pem, ca_pem_len);
  require(qca_config_set_api_token(config, (const uint8_t *)token, strlen(token)), NULL,
          "set the API token");
  qca_session *session = logged_in(config, "the API token session");
  measure("api-token", session, calls);
  qca_session_free(session);

  const char *password = env("QCA_BENCH_PASSWORD");
  config = base_config(ca_pem, ca_pem_len);
  require(qca_config_set_platform(config, "jenkins"), NULL, "set the platform");
  require(qca_config_set_username_password(config, env("QCA_BENCH_USERNAME"),
                                           (const uint8_t *)password, strlen(password)),
          NULL, "set the user name and password");
  session = logged_in(config, "the password session");
  measure("password", session, calls);
  qca_session_free(session);

  free(ca_pem);
  return 0;
}
