/*
 * The raw C baseline `make bench` measures the Swift bus and codegen layer against: nanomsg
 * and protobuf-c driven directly from C, with no Swift, no envelope and no copies beyond what
 * the libraries do themselves.
 *
 * Concurrency: each function runs to completion on the calling thread, except the echo server,
 * which runs on a thread of its own until stopped. Must never: be used by Skiff itself; it
 * exists only to be compared against.
 */
#ifndef SKIFF_CBUSBASELINE_H
#define SKIFF_CBUSBASELINE_H

#include <stddef.h>
#include <stdint.h>

typedef struct cbus_echo_server cbus_echo_server;

/* Starts a REP socket bound to url on its own thread, answering every request with its own
 * bytes. NULL on failure (errno set). */
cbus_echo_server *cbus_echo_server_start(const char *url);
/* Stops the thread and closes the socket. */
void cbus_echo_server_stop(cbus_echo_server *server);

/* Sends `count` requests of `size` bytes to url from one REQ socket, one at a time, and writes
 * each round trip's duration in nanoseconds to latencies[i]. Returns 0, or -1 on failure. */
int cbus_request_round_trips(const char *url, size_t size, int count, int64_t *latencies);

/* Publishes `count` messages of `size` bytes (each starting with `topic`) on a PUB socket
 * bound to url, with a subscriber on its own thread connected and subscribed to `topic`.
 * Waits (up to timeout_ms) until the subscriber has everything or goes quiet. Writes how many
 * arrived and the time from first send to last receipt. Returns 0, or -1 on failure. */
int cbus_publish_burst(const char *url, const char *topic, size_t size, int count, int send_buffer,
                       int timeout_ms, int *delivered, int64_t *elapsed_ns);

/* protobuf-c alone: `iterations` times, unpack the encoded Pod then pack it again. Returns the
 * elapsed nanoseconds, or -1 if the bytes are not a Pod. */
int64_t cbus_pod_codec_loop(const uint8_t *bytes, size_t length, int iterations);

#endif
