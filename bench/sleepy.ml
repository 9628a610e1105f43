(* Benchmark plugin: every read sleeps 5 ms, then returns zeroes.
   Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.

   Built twice from this source: linked with threads.cmxa
   (nbdkit-sleepy-plugin.so), Unix.sleepf releases the runtime and
   concurrent requests overlap; without it (nbdkit-sleepy_nothreads-plugin.so,
   the control) each sleep holds the runtime.  See bench/run.py. *)

let size = ref 67108864L

let pread () count _offset _flags =
  Unix.sleepf 0.005;
  String.make (Int32.to_int count) '\000'

let plugin = {
  NBDKit.default_callbacks with
  NBDKit.name = "sleepy";
  version = "1.0";
  config = Some (fun k v ->
    match k with
    | "size" -> size := NBDKit.parse_size v
    | _ -> failwith ("unknown parameter: " ^ k));
  open_connection = Some (fun _readonly -> ());
  get_size = Some (fun () -> !size);
  can_multi_conn = Some (fun () -> true);
  pread = Some pread;
}

let () = NBDKit.register_plugin plugin
