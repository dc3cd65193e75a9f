/* See CBusBaseline.h. Plain C over nanomsg and protobuf-c: the floor the Swift layers are
 * measured against. */
#define _GNU_SOURCE
#include "CBusBaseline.h"

#include <errno.h>
#include <nanomsg/nn.h>
#include <nanomsg/pubsub.h>
#include <nanomsg/reqrep.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "skiff/core/v1/core.pb-c.h"

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct cbus_echo_server {
    int socket;
    pthread_t thread;
};

static void *echo_loop(void *arg) {
    cbus_echo_server *server = arg;
    for (;;) {
        void *message = NULL;
        int n = nn_recv(server->socket, &message, NN_MSG, 0);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            break; /* EBADF/ETERM: closed */
        }
        /* Zero-copy send hands the message back to nanomsg. */
        if (nn_send(server->socket, &message, NN_MSG, 0) < 0) nn_freemsg(message);
    }
    return NULL;
}

cbus_echo_server *cbus_echo_server_start(const char *url) {
    cbus_echo_server *server = calloc(1, sizeof *server);
    if (!server) return NULL;
    server->socket = nn_socket(AF_SP, NN_REP);
    if (server->socket < 0 || nn_bind(server->socket, url) < 0) {
        if (server->socket >= 0) nn_close(server->socket);
        free(server);
        return NULL;
    }
    if (pthread_create(&server->thread, NULL, echo_loop, server) != 0) {
        nn_close(server->socket);
        free(server);
        return NULL;
    }
    return server;
}

void cbus_echo_server_stop(cbus_echo_server *server) {
    if (!server) return;
    /* A short receive timeout lets the blocked nn_recv return so that nn_close can finish. */
    int timeout = 50;
    nn_setsockopt(server->socket, NN_SOL_SOCKET, NN_RCVTIMEO, &timeout, sizeof timeout);
    nn_close(server->socket);
    pthread_join(server->thread, NULL);
    free(server);
}

int cbus_request_round_trips(const char *url, size_t size, int count, int64_t *latencies) {
    int sock = nn_socket(AF_SP, NN_REQ);
    if (sock < 0) return -1;
    if (nn_connect(sock, url) < 0) { nn_close(sock); return -1; }
    char *payload = malloc(size ? size : 1);
    memset(payload, 'x', size);
    int status = 0;
    for (int i = 0; i < count; i++) {
        int64_t start = now_ns();
        if (nn_send(sock, payload, size, 0) < 0) { status = -1; break; }
        void *reply = NULL;
        if (nn_recv(sock, &reply, NN_MSG, 0) < 0) { status = -1; break; }
        nn_freemsg(reply);
        latencies[i] = now_ns() - start;
    }
    free(payload);
    nn_close(sock);
    return status;
}

struct subscriber_args {
    int socket;
    int expected;
    int timeout_ms;
    int received;
    int64_t last_receipt;
};

static void *subscriber_loop(void *arg) {
    struct subscriber_args *args = arg;
    while (args->received < args->expected) {
        void *message = NULL;
        if (nn_recv(args->socket, &message, NN_MSG, 0) < 0) break; /* timeout: quiet */
        nn_freemsg(message);
        args->received++;
        args->last_receipt = now_ns();
    }
    return NULL;
}

int cbus_publish_burst(const char *url, const char *topic, size_t size, int count, int send_buffer,
                       int timeout_ms, int *delivered, int64_t *elapsed_ns) {
    int pub = nn_socket(AF_SP, NN_PUB);
    int sub = nn_socket(AF_SP, NN_SUB);
    if (pub < 0 || sub < 0) return -1;
    nn_setsockopt(pub, NN_SOL_SOCKET, NN_SNDBUF, &send_buffer, sizeof send_buffer);
    nn_setsockopt(sub, NN_SOL_SOCKET, NN_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
    nn_setsockopt(sub, NN_SUB, NN_SUB_SUBSCRIBE, topic, strlen(topic));
    if (nn_bind(pub, url) < 0 || nn_connect(sub, url) < 0) { nn_close(pub); nn_close(sub); return -1; }

    /* Wait out the slow-joiner window: probe until one message gets through. */
    char probe[64];
    snprintf(probe, sizeof probe, "%s-probe", topic);
    for (int attempt = 0; attempt < 200; attempt++) {
        nn_send(pub, probe, strlen(probe), NN_DONTWAIT);
        void *message = NULL;
        int quick = 10;
        nn_setsockopt(sub, NN_SOL_SOCKET, NN_RCVTIMEO, &quick, sizeof quick);
        if (nn_recv(sub, &message, NN_MSG, 0) >= 0) { nn_freemsg(message); break; }
    }
    /* Drain any extra probes. */
    for (;;) {
        void *message = NULL;
        if (nn_recv(sub, &message, NN_MSG, NN_DONTWAIT) < 0) break;
        nn_freemsg(message);
    }
    nn_setsockopt(sub, NN_SOL_SOCKET, NN_RCVTIMEO, &timeout_ms, sizeof timeout_ms);

    struct subscriber_args args = { .socket = sub, .expected = count, .timeout_ms = timeout_ms };
    pthread_t thread;
    pthread_create(&thread, NULL, subscriber_loop, &args);

    char *payload = malloc(size);
    memset(payload, 'x', size);
    memcpy(payload, topic, strlen(topic) < size ? strlen(topic) : size);
    int64_t start = now_ns();
    for (int i = 0; i < count; i++) nn_send(pub, payload, size, 0);
    pthread_join(thread, NULL);
    *delivered = args.received;
    *elapsed_ns = (args.received ? args.last_receipt : now_ns()) - start;
    free(payload);
    nn_close(sub);
    nn_close(pub);
    return 0;
}

int64_t cbus_pod_codec_loop(const uint8_t *bytes, size_t length, int iterations) {
    uint8_t *out = malloc(length + 64);
    int64_t start = now_ns();
    for (int i = 0; i < iterations; i++) {
        Skiff__Core__V1__Pod *pod = skiff__core__v1__pod__unpack(NULL, length, bytes);
        if (!pod) { free(out); return -1; }
        size_t size = skiff__core__v1__pod__get_packed_size(pod);
        if (size > length + 64) { out = realloc(out, size); }
        skiff__core__v1__pod__pack(pod, out);
        skiff__core__v1__pod__free_unpacked(pod, NULL);
    }
    int64_t elapsed = now_ns() - start;
    free(out);
    return elapsed;
}
