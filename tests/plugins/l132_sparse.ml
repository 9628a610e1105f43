(* sparse.ml written against the labelled API of nbdkit >= 1.30 and built
   by nbdkit 1.32's recipe: the same disk, but counts arrive as int64 (an
   int for pread), so that requests of 2 GiB and more reach the plugin
   whole.  Every trim, zero, cache and extents call reports its count and
   offset through NBDKit.debug, adding " (not a genuine int64)" if the
   count marshals unlike an int64 made in OCaml (a boxed int32, say, which
   prints the same).  Key: size=SIZE (default 8G). *)

let bs = 65536
let size = ref (NBDKit.parse_size "8G")
let blocks : (int, Bytes.t) Hashtbl.t = Hashtbl.create 64

let report what count offset =
  let genuine =
    Marshal.to_string count [] =
    Marshal.to_string (Int64.of_string (Int64.to_string count)) [] in
  NBDKit.debug "%s %Ld %Ld%s" what count offset
    (if genuine then "" else " (not a genuine int64)")

let iter_blocks off len f =
  let rec go pos done_ =
    if done_ < len then begin
      let b = pos / bs and inb = pos mod bs in
      let n = min (bs - inb) (len - done_) in
      f b inb n done_;
      go (pos + n) (done_ + n)
    end in
  go off 0

let read count offset =
  let buf = Bytes.make count '\000' in
  iter_blocks offset count (fun b inb n at ->
    match Hashtbl.find_opt blocks b with
    | Some blk -> Bytes.blit blk inb buf at n
    | None -> ());
  Bytes.unsafe_to_string buf

let write data offset =
  iter_blocks offset (String.length data) (fun b inb n at ->
    let blk = match Hashtbl.find_opt blocks b with
      | Some blk -> blk
      | None -> let blk = Bytes.make bs '\000' in Hashtbl.replace blocks b blk; blk in
    Bytes.blit_string data at blk inb n)

let zero_range count offset =
  iter_blocks offset count (fun b inb n _ ->
    if n = bs then Hashtbl.remove blocks b
    else match Hashtbl.find_opt blocks b with
      | Some blk -> Bytes.fill blk inb n '\000'
      | None -> ())

let extents_from count offset =
  let last = min (Int64.to_int !size) (offset + count) in
  let rec go pos acc =
    if pos >= last then List.rev acc
    else begin
      let b = pos / bs in
      let n = min ((b + 1) * bs) last - pos in
      let hole = not (Hashtbl.mem blocks b) in
      let acc = match acc with
        | (o, l, h) :: rest when h = hole -> (o, l + n, h) :: rest
        | _ -> (pos, n, hole) :: acc in
      go (pos + n) acc
    end in
  List.map (fun (o, l, h) ->
    { NBDKit.offset = Int64.of_int o; length = Int64.of_int l;
      is_hole = h; is_zero = h }) (go offset [])

let () =
  NBDKit.register_plugin
    ~name:"l132-sparse"
    ~config:(fun k v ->
      if k = "size" then size := NBDKit.parse_size v
      else failwith ("unknown parameter: " ^ k))
    ~open_connection:(fun _ -> ())
    ~get_size:(fun () -> !size)
    ~pread:(fun () count offset _ -> read count (Int64.to_int offset))
    ~pwrite:(fun () data offset _ -> write data (Int64.to_int offset))
    ~trim:(fun () count offset _ ->
      report "trim" count offset;
      zero_range (Int64.to_int count) (Int64.to_int offset))
    ~zero:(fun () count offset _ ->
      report "zero" count offset;
      zero_range (Int64.to_int count) (Int64.to_int offset))
    ~can_cache:(fun () -> NBDKit.CacheNop)
    ~cache:(fun () count offset _ -> report "cache" count offset)
    ~can_extents:(fun () -> true)
    ~extents:(fun () count offset _ ->
      report "extents" count offset;
      extents_from (Int64.to_int count) (Int64.to_int offset))
    ~thread_model:(fun () -> NBDKit.THREAD_MODEL_SERIALIZE_ALL_REQUESTS)
    ()
