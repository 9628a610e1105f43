(* A test plugin whose callbacks can take their time, for closing and
   shutting down while calls are in flight.  A RAM disk (1 MiB) shared by
   all connections; pread sleeps delay_ms=N milliseconds (default 0) with
   NBDKit.nanosleep, which releases the runtime when threads.cmxa is
   linked (threads_slow), and says "pread: sleeping" before and "pread:
   woke" after.  It also reports "load", "open N", "close N" (N counts the
   connections from 1) and "unload", so tests can check the order of the
   callbacks.  close raises Failure "boom in close N" when the key
   fail_close=N was given.  Without threads.cmxa no Mutex is needed: a
   callback runs alone from start to end. *)

let disk = Bytes.make (1024 * 1024) '\000'
let delay_ms = ref 0
let fail_close = ref 0
let next = ref 0

let sleep_ms ms =
  if ms > 0 then NBDKit.nanosleep (ms / 1000) (ms mod 1000 * 1_000_000)

let () =
  NBDKit.register_plugin {
    NBDKit.default_callbacks with
    NBDKit.name = "slow";
    load = Some (fun () -> NBDKit.debug "load");
    unload = Some (fun () -> NBDKit.debug "unload");
    config = Some (fun k v ->
      match k with
      | "delay_ms" -> delay_ms := int_of_string v
      | "fail_close" -> fail_close := int_of_string v
      | _ -> failwith ("unknown parameter: " ^ k));
    open_connection = Some (fun _ ->
      incr next; NBDKit.debug "open %d" !next; !next);
    close = Some (fun n ->
      NBDKit.debug "close %d" n;
      if n = !fail_close then failwith (Printf.sprintf "boom in close %d" n));
    get_size = Some (fun _ -> Int64.of_int (Bytes.length disk));
    can_write = Some (fun _ -> true);
    pread = Some (fun _ count offset _ ->
      NBDKit.debug "pread: sleeping";
      (* Under nbdkit the sleep ends early, raising, when the server
         shuts down: "woke" is said either way. *)
      Fun.protect ~finally:(fun () -> NBDKit.debug "pread: woke")
        (fun () -> sleep_ms !delay_ms);
      Bytes.sub_string disk (Int64.to_int offset) (Int32.to_int count));
    pwrite = Some (fun _ data offset _ ->
      Bytes.blit_string data 0 disk (Int64.to_int offset) (String.length data));
  }
