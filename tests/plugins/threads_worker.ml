(* A test plugin linked with threads.cmxa that starts an OCaml thread of
   its own with Thread.create: a RAM disk whose writes are applied by that
   worker thread.  pwrite queues the data and waits (Condition.wait, which
   releases the runtime) until the worker has applied it, so every write
   crosses from the calling thread (an nbdkit worker or a C host thread) to
   the plugin's own thread and back.  pread reads the disk directly.

   The worker is started by the first open_connection, not at load: under
   nbdkit, load runs before the server forks to daemonize, and threads do
   not survive a fork.  unload stops it and joins it, so that nothing of
   the plugin runs once its runtime is shut down.

   get_size is the disk's size (1 MiB); the debug message
   "worker: applied write N" is sent once the worker has applied the N-th
   write queued (each N from 1 up exactly once, whatever the order in
   which the waiters wake), and "worker: stopped" when unload has joined
   it. *)

let disk = Bytes.make (1024 * 1024) '\000'
let lock = Mutex.create ()
let changed = Condition.create ()
let queue : (string * int) Queue.t = Queue.create ()
let queued = ref 0
let applied = ref 0
let stopping = ref false
let worker = ref None

let with_lock f =
  Mutex.lock lock;
  Fun.protect ~finally:(fun () -> Mutex.unlock lock) f

let rec work () =
  let job =
    with_lock (fun () ->
      while Queue.is_empty queue && not !stopping do
        Condition.wait changed lock
      done;
      if Queue.is_empty queue then None else Some (Queue.pop queue)) in
  match job with
  | None -> ()
  | Some (data, offset) ->
     (* Outside the lock: Bytes.blit_string runs no other OCaml code. *)
     Bytes.blit_string data 0 disk offset (String.length data);
     with_lock (fun () -> incr applied; Condition.broadcast changed);
     work ()

let start () =
  with_lock (fun () ->
    if !worker = None then worker := Some (Thread.create work ()))

let stop () =
  let t = with_lock (fun () ->
    stopping := true; Condition.broadcast changed; !worker) in
  Option.iter Thread.join t;
  NBDKit.debug "worker: stopped"

let check count offset =
  if offset < 0 || count < 0 || offset > Bytes.length disk - count then begin
    NBDKit.set_error Unix.EINVAL;
    invalid_arg (Printf.sprintf "out of range: %d+%d" offset count)
  end

let pwrite () data offset _flags =
  let offset = Int64.to_int offset in
  check (String.length data) offset;
  let mine =
    with_lock (fun () ->
      Queue.push (data, offset) queue;
      incr queued;
      let mine = !queued in
      Condition.broadcast changed;
      while !applied < mine do Condition.wait changed lock done;
      mine) in
  NBDKit.debug "worker: applied write %d" mine

let pread () count offset _flags =
  let count = Int32.to_int count and offset = Int64.to_int offset in
  check count offset;
  with_lock (fun () -> Bytes.sub_string disk offset count)

let () =
  NBDKit.register_plugin {
    NBDKit.default_callbacks with
    NBDKit.name = "threads-worker";
    version = "1.0";
    open_connection = Some (fun _ -> start ());
    unload = Some stop;
    get_size = Some (fun () -> Int64.of_int (Bytes.length disk));
    can_write = Some (fun () -> true);
    can_multi_conn = Some (fun () -> true);
    pread = Some pread;
    pwrite = Some pwrite;
  }
