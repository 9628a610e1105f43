(* Unit tests of a plugin's OCaml code: examples/filedisk.ml linked into an
   ordinary executable with NBDKit.cmx and -lnbdkitocaml (no -output-obj,
   no nbdkit), as the README's "Unit-testing plugin code" describes.  The
   plugin's functions are called directly; the NBDKit functions behave as
   the README says they do outside a host.  Prints TAP. *)

let n = ref 0
let failed = ref 0
let ok desc cond =
  incr n;
  if not cond then incr failed;
  Printf.printf "%s %d - %s\n%!" (if cond then "ok" else "not ok") !n desc

let raises f = match f () with _ -> false | exception _ -> true
let raises_unix e f =
  match f () with
  | _ -> false
  | exception Unix.Unix_error (e', _, _) -> e = e'

let buf_of_string s =
  let b = Bigarray.(Array1.create char c_layout (String.length s)) in
  String.iteri (Bigarray.Array1.set b) s; b
let string_of_buf b = NBDKit.buf_to_string b

let read_file f =
  let ic = open_in_bin f in
  let s = really_input_string ic (in_channel_length ic) in
  close_in ic; s

let () =
  print_endline "1..16";
  let dir = Filename.get_temp_dir_name () in
  let name = Printf.sprintf "unit-%d.img" (Unix.getpid ()) in
  let path = Filename.concat dir name in
  let oc = open_out_bin path in
  output_string oc (String.make 65536 'a');
  close_out oc;
  Sys.chdir dir;

  (* register_plugin ran when Filedisk was initialised: it validated the
     record and kept it, so a second registration is refused. *)
  ok "register_plugin ran at initialisation (a second call raises Failure)"
    (match NBDKit.register_plugin Filedisk.plugin with
     | () -> false | exception Failure _ -> true);

  Filedisk.config "file" name;
  ok "config makes file= absolute (NBDKit.realpath is realpath(3) here)"
    (!Filedisk.file = Unix.realpath path);
  ok "an unknown key raises Failure"
    (match Filedisk.config "size" "1M" with
     | () -> false | exception Failure m -> m = "unknown parameter: size");
  Filedisk.config_complete ();

  let h = Filedisk.open_connection false in
  ok "open_connection and get_size: the file's size" (Filedisk.get_size h = 65536L);
  ok "can_write" (Filedisk.can_write h);

  let b = Bigarray.(Array1.create char c_layout 4096) in
  Filedisk.pread_buf h b 4096L [];
  ok "pread_buf reads the file through NBDKit.pread_fd"
    (string_of_buf b = String.make 4096 'a');
  Filedisk.pwrite_buf h (buf_of_string "hello") 100L [NBDKit.FUA];
  ok "pwrite_buf with FUA writes the file" (String.sub (read_file path) 100 5 = "hello");
  Filedisk.zero h 8192l 16384L [];
  ok "zero: the range reads as zeroes"
    (String.sub (read_file path) 16384 8192 = String.make 8192 '\000');
  Filedisk.flush h [];

  ok "NBDKit.pread_fd past the end raises End_of_file"
    (match NBDKit.pread_fd h.Filedisk.fd b 65000L with
     | () -> false | exception End_of_file -> true);
  ok "NBDKit.pread_fd at a negative offset raises Invalid_argument"
    (match NBDKit.pread_fd h.Filedisk.fd b (-1L) with
     | () -> false | exception Invalid_argument _ -> true);
  Filedisk.close h;
  ok "NBDKit.pread_fd on a closed descriptor raises Unix_error EBADF"
    (raises_unix Unix.EBADF (fun () -> NBDKit.pread_fd h.Filedisk.fd b 0L));

  (* The NBDKit helpers outside a host. *)
  ok "NBDKit.parse_size follows nbdkit's rules" (NBDKit.parse_size "1M" = 1048576L);
  ok "NBDKit.parse_size raises Invalid_argument on bad input"
    (raises (fun () -> NBDKit.parse_size "1X"));
  NBDKit.set_error Unix.EPERM;
  ok "NBDKit.set_error does nothing visible (no callback is running)" true;
  ok "NBDKit.export_name raises Failure: no server to ask"
    (match NBDKit.export_name () with
     | _ -> false | exception Failure m -> String.length m > 0);
  NBDKit.debug "unit test says %d" 42;
  ok "NBDKit.debug returns (stderr with LIBNBDOCAML_DEBUG=1)" true;

  Sys.remove path;
  exit (if !failed = 0 then 0 else 1)
