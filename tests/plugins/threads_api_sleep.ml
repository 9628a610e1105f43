(* A test plugin linked with threads.cmxa whose pread blocks: it sleeps
   with Unix.sleepf (a blocking section, which releases the runtime) for
   the number of milliseconds given by the key sleep_ms=N (default 200)
   and then returns count bytes of 'S'.

   It counts the preads in progress and remembers the largest number seen
   at once; get_size returns that maximum.  With the runtime released
   during the sleep, several threads are inside pread together and the
   maximum exceeds 1; if the library held the runtime across the sleep it
   would stay 1.  The counters are shared between threads, so a Mutex
   guards them.

   Each pread says "pread: sleeping" with NBDKit.debug just before it
   sleeps, so that a test knows a call is in flight without guessing. *)

let sleep_s = ref 0.2
let lock = Mutex.create ()
let in_flight = ref 0
let max_in_flight = ref 0

let with_lock f =
  Mutex.lock lock;
  Fun.protect ~finally:(fun () -> Mutex.unlock lock) f

let pread () count _offset _flags =
  with_lock (fun () ->
    incr in_flight;
    if !in_flight > !max_in_flight then max_in_flight := !in_flight);
  Fun.protect ~finally:(fun () -> with_lock (fun () -> decr in_flight))
    (fun () -> NBDKit.debug "pread: sleeping"; Unix.sleepf !sleep_s);
  String.make (Int32.to_int count) 'S'

let () =
  NBDKit.register_plugin {
    NBDKit.default_callbacks with
    NBDKit.name = "api_sleep";
    config = Some (fun k v ->
      match k with
      | "sleep_ms" -> sleep_s := float_of_string v /. 1000.
      | _ -> failwith ("unknown parameter: " ^ k));
    open_connection = Some (fun _ -> ());
    get_size = Some (fun () -> with_lock (fun () -> Int64.of_int !max_in_flight));
    pread = Some pread;
  }
