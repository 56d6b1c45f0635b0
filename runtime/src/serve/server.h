// The live-feed server behind `crosswalk serve`: an MLLP listener, the durable inbox, workers that run a
// program on each stored message and write its output atomically, and the audit trail.
//
//   peer ──MLLP──► listener (poll) ──group of frames──► Inbox::Store (one synced WAL write) ──► ACKs
//                                                              │
//                          workers (-j N) ◄── seq queue (arrival order) ◄┘
//                              │  RunContext::Run
//                              ▼
//              out-dir/<seq>.json|.hl7 or <seq>.rejected (per batch: temps, renames; not synced)
//                              │
//                      Inbox::Finish: marks + the outputs' bytes journaled, one synced write
//                              │                                every step ──► audit.jsonl
//                      checkpointer (1 s): syncfs of out-dir, then the journal entries are forgotten
//
// Guarantees: an ACK AA/CA leaves only after the message is in the inbox with a synced WAL; a message stays
// in the inbox until its output (or its .rejected file) is under its final name and its bytes are journaled
// in the inbox (synced) until the folder is synced, so a crash rewrites the same file with the same bytes. Back-pressure: when
// max_pending messages are stored but not done, the listener stops reading sockets (TCP then slows the
// senders); nothing is dropped.
//
// Thread-safety: Create/Run from one thread; RequestStop() from anywhere, including a signal handler.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "crosswalk/runtime.h"
#include "crosswalk/serve.h"
#include "crosswalk/status.h"
#include "serve/audit.h"
#include "serve/fhir_client.h"
#include "serve/inbox.h"
#include "serve/log.h"
#include "serve/metrics.h"
#include "serve/tls.h"

namespace crosswalk::serve {

// Journaled outputs (sync on) that make the checkpointer sync the output folder before its second is up.
inline constexpr size_t kCheckpointEntries = 4096;

class ServerCore;

// The threads of a WorkerPool (crosswalk/serve.h): they run programs for one or more Servers of a process (`-j N` is the process's total, however
// many listeners it has). A worker takes a batch from one Server at a time, visiting the attached Servers in
// turn from where it last found work, so every listener makes progress; each batch runs its own Server's
// program, store and ordering keys (a Server's keys are held by worker index, which is unique in the pool).
// Thread-safe. A Server attaches itself in Run() and detaches before Run() returns; the pool must outlive the
// Servers that use it.
class WorkerPoolCore {
 public:
  explicit WorkerPoolCore(unsigned threads);  // 1..1024 threads, started at once
  ~WorkerPoolCore();                          // stops and joins them; every Server must have detached
  WorkerPoolCore(const WorkerPoolCore&) = delete;
  WorkerPoolCore& operator=(const WorkerPoolCore&) = delete;
  unsigned size() const { return static_cast<unsigned>(threads_.size()); }

  // Workers start taking `s`'s batches.
  void Attach(ServerCore* s);
  // Workers stop taking `s`'s batches; returns once no worker is inside one of them.
  void Detach(ServerCore* s);
  // There may be new work (messages queued, ordering keys released): idle workers look again.
  void Wake();
  // Idle workers look again at `when` at the latest (a held-back message's retry time). Only the earliest
  // time asked for is kept; a Server whose later times remain asks again when a worker visits it.
  void WakeAt(std::chrono::steady_clock::time_point when);

 private:
  struct Member {
    ServerCore* server;
    unsigned busy = 0;  // workers inside this Server's TryRunBatch
  };
  void Loop(unsigned index);

  std::mutex mu_;
  std::condition_variable cv_;       // workers: wake-ups, stop
  std::condition_variable idle_cv_;  // Detach: a member's busy count fell
  uint64_t generation_ = 0;          // bumped by Wake and Attach (a worker that saw it unchanged may sleep)
  std::chrono::steady_clock::time_point wake_at_ = std::chrono::steady_clock::time_point::max();  // WakeAt
  bool stop_ = false;
  std::vector<Member> members_;
  std::vector<std::thread> threads_;
};

// The engine behind crosswalk::serve::Server (crosswalk/serve.h), which forwards to it.
// The public methods are those of crosswalk::serve::Server, documented there once; only what the engine adds
// is said here.
class ServerCore {
 public:
  [[nodiscard]] static Result<std::unique_ptr<ServerCore>> Create(const ServerOptions& options,
                                                              std::shared_ptr<const Runtime> runtime,
                                                              std::shared_ptr<const Program> program);
  ~ServerCore();
  ServerCore(const ServerCore&) = delete;
  ServerCore& operator=(const ServerCore&) = delete;

  uint16_t port() const { return port_; }
  // "mllp:HOST:PORT" ("mllp:[ADDR]:PORT" for IPv6): the listener in the audit trail and the logs.
  const std::string& listener_name() const { return listener_name_; }
  uint16_t metrics_port() const { return metrics_ ? metrics_->port() : 0; }
  // The Prometheus text the metrics endpoint serves.
  std::string RenderMetrics() const;

  [[nodiscard]] Status Run();
  void RequestStop() noexcept;  // async-signal-safe: writes one byte to a pipe
  // Each worker makes a new RunContext for a new runtime at its next batch; the old runtime is released when
  // no batch uses it any more.
  Status Reload(std::shared_ptr<const Runtime> runtime, std::shared_ptr<const Program> program);
  [[nodiscard]] Status ReloadTls();
  // Also reachable as POST /dead-letters/replay and POST /rejected/replay on the metrics endpoint, from
  // loopback only (Admin).
  [[nodiscard]] Status ReplayDeadLetter(uint64_t seq);
  [[nodiscard]] Status ReplayRejected(uint64_t seq);

  static std::string OrderingKey(std::string_view message_text);

  // The public counts, and the latency histograms of the metrics endpoint: frames read -> stored (synced)
  // and their ACKs queued; stored -> output durable; output durable -> accepted by the FHIR server.
  struct Stats : ServerStats {
    LatencyHistogram ack_seconds, convert_seconds, deliver_seconds;
  };
  const Stats& stats() const { return stats_; }

 private:
  struct Connection;
  struct Frame;
  struct Queued {
    uint64_t seq;
    uint64_t key;  // hash of OrderingKey (a collision only serialises two keys)
  };
  struct Binding {
    std::shared_ptr<const Runtime> runtime;
    std::shared_ptr<const Program> program;
  };
  ServerCore(const ServerOptions& options, Binding binding);
  Status Listen();
  void Accept();
  void ReadFrom(Connection* c, std::vector<Frame>* frames);
  void HandleFrames(std::vector<Frame>* frames);
  void Flush(Connection* c);
  friend class WorkerPoolCore;
  // Under admin_mu_: the replays above.
  Status ReplayLocked(bool dead_letter, uint64_t seq);
  // The metrics endpoint's admin handler (loopback peers only): POST /dead-letters/replay and
  // /rejected/replay, with ?seq=N (repeatable, as seq=N&seq=M) or ?all; GET /dead-letters and /rejected, the
  // listings (List). Returns the HTTP status; *body says what was queued, or why not, or holds the listing.
  int Admin(std::string_view method, std::string_view target, std::string_view peer, std::string* body);
  // Under admin_mu_: the dead letters (path "/dead-letters") or the rejected messages ("/rejected") as NDJSON,
  // one line each with what an audit line may hold (seq, control id, type) and the reason; audited (`listed`,
  // with the peer and the count).
  int List(std::string_view path, std::string_view peer, std::string* body);
  WorkerPoolCore& pool() { return *pool_->core_; }
  // Called by pool worker `index`: takes a batch this Server may run now and runs it; false when there was
  // none (nothing queued, every queued key held, the worker cap reached, or stopping).
  bool TryRunBatch(unsigned index);
  // Under mu_: moves to *batch what worker `index` may run now, in arrival order, and marks their keys held.
  // Skips the keys held back for a retry (retry_at_); returns the earliest retry time still ahead (max: none).
  std::chrono::steady_clock::time_point TakeBatch(unsigned index, std::vector<Queued>* batch);
  // Runs the batch and ends it with one inbox write. The messages whose output could not be made durable
  // (and the later messages of their keys in the batch) stay in the inbox and are appended to *failed, in
  // arrival order.
  void ProcessBatch(const std::vector<Queued>& batch, const Binding& binding, RunContext* ctx, RunOutput* out,
                    std::vector<Queued>* failed);
  // The delay before the next try of outputs that could not be written after `failures` failed batches in a
  // row: options_.output_retry_ms doubled per failure, at most kMaxOutputRetryMs.
  uint64_t OutputRetryMs(unsigned failures) const;
  // Appends the JSON outputs of a batch to the NDJSON file and stdout; "" or the reason.
  std::string AppendLines(const std::vector<std::string_view>& lines, uint64_t* committed);
  // The output journal (sync on): outputs are renamed into place unsynced, their bytes kept in the inbox
  // ("o" + seq, in the batch's synced write) until a checkpoint has synced the folder.
  Status RestoreJournal();
  static Status CheckOutputs(const ServerOptions& options, const Program& program);
  void CheckpointLoop();
  // Forgets the dedup ids older than options_.dedup_seconds: at start, then every window / 4 (at least
  // 100 ms, at most a minute), until stopping.
  void PruneLoop();
  void CheckpointOutputs();
  Status OpenNdjson();
  // A destination of converted messages: the FHIR server (JSON outputs) or the MLLP receiver (HL7 v2
  // outputs). Each has its queue, in the order the outputs became durable, and one delivering thread.
  struct Outlet {
    enum Kind { kFhir, kMllp };
    explicit Outlet(Kind k) : kind(k) {}
    Kind kind;
    std::deque<DeliveryRecord> queue;  // under mu_
    std::condition_variable cv;
    std::thread thread;
    std::atomic<bool> done{false};  // the thread has returned (shutdown waits for it, then aborts)
  };
  // The outlet an output of this name goes to, or null when it is not delivered beyond the directory.
  Outlet* OutletFor(std::string_view file_name);
  void DeliveryLoop(Outlet* outlet);
  enum class Attempt { kResolved, kRetryLater, kStopped };
  // One attempt for the head of the queue: delivered or dead-lettered (kResolved), failed and rescheduled in
  // *d (kRetryLater), or interrupted by RequestStop (kStopped: not counted as a try).
  Attempt Deliver(Outlet* outlet, DeliveryRecord* d, uint64_t random);

  ServerOptions options_;
  Binding binding_;  // under mu_ (Reload swaps it)
  std::unique_ptr<Inbox> inbox_;
  AuditLog audit_;
  std::string listener_name_;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  uint16_t port_ = 0;
  uint64_t ack_counter_ = 0;
  std::vector<std::unique_ptr<Connection>> connections_;
  uint64_t connection_serial_ = 0;  // the listener thread's: numbers its connections

  // Application ACKs (options_.app_acks). Under mu_: the connection (serial) each message that asked for one
  // came on, by inbox seq, until its ACK is made; the ACKs workers made, for the listener thread to send.
  // wake_pipe_ wakes the listener's poll when there are some.
  std::unordered_map<uint64_t, uint64_t> app_ack_connection_;
  std::atomic<size_t> app_acks_waiting_{0};  // app_ack_connection_.size(), read without the lock
  struct AppAck {
    uint64_t connection;
    uint64_t seq;
    std::string control_id, type, code, frame;
  };
  std::vector<AppAck> app_acks_;
  int wake_pipe_[2] = {-1, -1};
  void SendAppAcks();

  std::mutex mu_;
  std::mutex admin_mu_;              // replays, one at a time; taken before mu_; Run's shutdown takes it too
  bool running_ = false;             // under admin_mu_ and mu_: Run is serving (replays are taken)
  std::deque<Queued> queue_;         // stored, not yet taken by a worker
  std::shared_ptr<WorkerPool> pool_;  // options_.pool, or the Server's own (made in Run)
  unsigned active_batches_ = 0;       // under mu_: batches being run (at most options_.workers)
  // Per pool worker index: the run context on the runtime of the last batch it ran here. Each index is used
  // by one thread at a time, so no lock.
  struct WorkerState {
    std::shared_ptr<const Runtime> runtime;  // declared before ctx: outlives it
    std::unique_ptr<RunContext> ctx;
    RunOutput out;
    std::vector<Queued> batch;
    std::vector<Queued> failed;  // of the last batch: outputs not written, to be tried again
  };
  std::vector<WorkerState> worker_state_;
  // Ordering keys held by a worker (key hash -> worker index): the messages of a held key wait in the queue
  // until the worker holding it has made its batch durable.
  std::unordered_map<uint64_t, unsigned> held_;
  // Under mu_: ordering keys held back until a time, after an output of theirs could not be written (disk
  // full, I/O error): the failed message went back to the head of the queue, the key's later messages wait
  // behind it, other keys go on. output_failures_: failed batches in a row (the retry delay doubles).
  std::unordered_map<uint64_t, std::chrono::steady_clock::time_point> retry_at_;
  unsigned output_failures_ = 0;
  std::mutex ndjson_mu_;    // the NDJSON file and stdout: one batch appends and commits at a time
  int ndjson_fd_ = -1;
  uint64_t ndjson_size_ = 0;  // committed length (under ndjson_mu_)
  std::atomic<size_t> pending_{0};   // stored, not yet done (queue + in the workers' hands)
  std::atomic<bool> stopping_{false};
  // Set at shutdown when a delivery still in flight has had kDeliveryGraceMs to finish: aborts it (it stays
  // queued in the inbox and is sent again at the next start).
  std::atomic<bool> abort_delivery_{false};
  std::mutex journal_mu_;
  std::condition_variable journal_cv_;
  std::vector<uint64_t> journaled_;  // under journal_mu_: journaled outputs not yet checkpointed
  std::thread checkpointer_;
  std::mutex prune_mu_;
  std::condition_variable prune_cv_;  // wakes PruneLoop at stop
  std::thread pruner_;
  Stats stats_;

  std::atomic<size_t> open_connections_{0};
  std::mutex tls_mu_;
  std::shared_ptr<TlsContext> tls_;        // null: plain TCP (under tls_mu_: ReloadTls swaps it)
  std::unique_ptr<FhirClient> fhir_;       // null: no FHIR delivery
  std::unique_ptr<MllpSender> mllp_out_;   // null: no MLLP delivery
  std::string mllp_out_name_;              // "mllp://HOST:PORT" (the audit's detail of a delivery)
  Outlet fhir_outlet_{Outlet::kFhir};
  Outlet mllp_outlet_{Outlet::kMllp};
  // Declared last, so destroyed (its thread stopped) before anything it reads.
  std::unique_ptr<MetricsEndpoint> metrics_;
};

}  // namespace crosswalk::serve
