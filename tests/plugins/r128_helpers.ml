(* Calls the NBDKit helpers that ask the host (export_name, peer_pid ...)
   or the system (realpath, nanosleep ...) and reports what they
   returned through NBDKit.debug, as "NAME=RESULT".  Built by nbdkit
   1.28's recipe (unix.cmxa), which it needs to print a Unix.sockaddr.

   Keys: call=NAME[:ARG...] calls the helper at once, from config, and
   lets its exception escape (so a C host sees the error of the config
   call); on_open=NAME[:ARG],... calls them in every open_connection, and
   reports an exception as "NAME raised MESSAGE" instead of failing the
   connection.  NAME is one of export_name is_tls peer_pid peer_uid
   peer_gid peer_name shutdown disconnect disconnect_force stdio_safe
   version api_version realpath:PATH nanosleep:SEC:NSEC (which reports
   "nanosleep start" before it sleeps).  threads_r128_helpers.ml is a
   copy of this file linked with threads.cmxa. *)

let show_sockaddr = function
  | Unix.ADDR_UNIX path -> "unix:" ^ path
  | Unix.ADDR_INET (a, port) ->
    Printf.sprintf "inet:%s:%d" (Unix.string_of_inet_addr a) port

let call spec =
  match String.split_on_char ':' spec with
  | [ "export_name" ] -> NBDKit.export_name ()
  | [ "is_tls" ] -> string_of_bool (NBDKit.is_tls ())
  | [ "peer_pid" ] -> Int64.to_string (NBDKit.peer_pid ())
  | [ "peer_uid" ] -> Int64.to_string (NBDKit.peer_uid ())
  | [ "peer_gid" ] -> Int64.to_string (NBDKit.peer_gid ())
  | [ "peer_name" ] -> show_sockaddr (NBDKit.peer_name ())
  | [ "shutdown" ] -> NBDKit.shutdown (); "done"
  | [ "disconnect" ] -> NBDKit.disconnect false; "done"
  | [ "disconnect_force" ] -> NBDKit.disconnect true; "done"
  | [ "stdio_safe" ] -> string_of_bool (NBDKit.stdio_safe ())
  | [ "version" ] -> NBDKit.version ()
  | [ "api_version" ] -> string_of_int (NBDKit.api_version ())
  | [ "realpath"; path ] -> NBDKit.realpath path
  | [ "nanosleep"; s; ns ] ->
    NBDKit.debug "nanosleep start";
    let t0 = Unix.gettimeofday () in
    NBDKit.nanosleep (int_of_string s) (int_of_string ns);
    Printf.sprintf "slept %.2f" (Unix.gettimeofday () -. t0)
  | _ -> invalid_arg ("no such helper: " ^ spec)

let report name result = NBDKit.debug "%s=%s" name result

let on_open = ref []

let plugin = {
  NBDKit.default_callbacks with
  NBDKit.name = "r128-helpers";
  config = Some (fun k v ->
    match k with
    | "call" -> report v (call v)
    | "on_open" -> on_open := !on_open @ String.split_on_char ',' v
    | _ -> failwith ("unknown parameter: " ^ k));
  open_connection = Some (fun _ ->
    List.iter (fun spec ->
      match call spec with
      | r -> report spec r
      | exception Failure msg -> NBDKit.debug "%s raised %s" spec msg)
      !on_open);
  get_size = Some (fun () -> 1048576L);
  pread = Some (fun () count _ _ -> String.make (Int32.to_int count) '\000');
  thread_model = Some (fun () -> NBDKit.THREAD_MODEL_SERIALIZE_ALL_REQUESTS);
}

let () = NBDKit.register_plugin plugin
