(* Test plugin: the labelled module prints exceptions as the record module
   does (tests/e2e-exceptions.sh).  pread raises a Unix_error, through a
   helper so that a backtrace has two frames. *)

let[@inline never] refuse path =
  raise (Unix.Unix_error (Unix.EROFS, "write", path))

let pread () _count _offset _flags = refuse "labelled.img"; ""

let () =
  NBDKit.register_plugin ~name:"labelled-exceptions"
    ~open_connection:(fun _ -> ())
    ~get_size:(fun () -> 1048576L)
    ~pread ()
