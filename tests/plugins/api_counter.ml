(* A test plugin for sharing one runtime between handles of the same file.
   Its top-level code sends the debug message "api_counter: top-level"
   once per runtime start.  It counts the connections opened in this
   runtime, and get_size returns that count: two handles of the same file
   that share the runtime see each other's connections, while a fresh
   runtime starts again from zero. *)

let opens = ref 0

let () = NBDKit.debug "api_counter: top-level"

let () =
  NBDKit.register_plugin {
    NBDKit.default_callbacks with
    NBDKit.name = "api_counter";
    open_connection = Some (fun _ -> incr opens);
    get_size = Some (fun () -> Int64.of_int !opens);
    pread = Some (fun () count _ _ -> String.make (Int32.to_int count) 'c');
  }
