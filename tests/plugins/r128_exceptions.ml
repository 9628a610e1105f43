(* Test plugin: exceptions as OCaml prints them, the errno of an uncaught
   Unix.Unix_error, and backtraces (tests/e2e-exceptions.sh,
   tests/test-exceptions.c).  Built by nbdkit 1.28's recipe (unix.cmxa)
   with -g, so that backtraces name this file.

   raise=KIND chooses what pread raises:
     unix        Unix.openfile of a missing file: Unix_error ENOENT
     erofs       Unix_error (EROFS, "write", "disk.img") raised by hand
     set_error   NBDKit.set_error ENOSPC, then the same EROFS Unix_error
     unknown     Unix_error (EUNKNOWNERR 200, "ioctl", "")
     quote       Failure with quotes and a newline in its message
     printer     an exception of this plugin with a registered printer
     long        Failure with a 2000-byte message
     nested      Failure from two calls deep (for backtraces)
   backtrace=true calls Printexc.record_backtrace true at config_complete. *)

let kind = ref "nested"

exception Disk_on_fire of int

let () =
  Printexc.register_printer (function
    | Disk_on_fire n -> Some (Printf.sprintf "the disk is on fire (%d degrees)" n)
    | _ -> None)

let config key value =
  match key with
  | "raise" -> kind := value
  | "backtrace" -> Printexc.record_backtrace (NBDKit.parse_bool value)
  | _ -> failwith ("unknown parameter " ^ key)

let[@inline never] innermost n =
  if n > 0 then failwith "deep down" else n

let[@inline never] middle n = innermost (n + 1) + 1

let pread () count _offset _flags =
  match !kind with
  | "unix" -> ignore (Unix.openfile "gone.img" [Unix.O_RDONLY] 0); ""
  | "erofs" -> raise (Unix.Unix_error (Unix.EROFS, "write", "disk.img"))
  | "set_error" ->
    NBDKit.set_error Unix.ENOSPC;
    raise (Unix.Unix_error (Unix.EROFS, "write", "disk.img"))
  | "unknown" -> raise (Unix.Unix_error (Unix.EUNKNOWNERR 200, "ioctl", ""))
  | "quote" -> failwith "say \"hi\"\nand go"
  | "printer" -> raise (Disk_on_fire 451)
  | "long" -> failwith (String.make 2000 'x')
  | "nested" -> ignore (middle (Int32.to_int count)); ""
  | k -> failwith ("unknown kind " ^ k)

let plugin = {
  NBDKit.default_callbacks with
  NBDKit.name = "exceptions";
  config = Some config;
  open_connection = Some (fun _ -> ());
  get_size = Some (fun () -> 1048576L);
  pread = Some pread;
}

let () = NBDKit.register_plugin plugin
